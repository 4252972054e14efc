/* Upload page: the file goes up in parts (small requests: the server never holds a whole file in
   memory, and a dropped part is sent again), then the server checks the start of the file and
   queues its analysis, and the session page follows it. Without script the form posts the file whole. */
"use strict";
(() => {
  const form = document.getElementById("upload-form"), bar = document.getElementById("upload-progress");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const post = (url, body) => fetch(url, {method: "POST", body, headers: {"X-CSRFToken": csrf}});
  const say = (text) => {
    let list = form.querySelector(".errorlist");
    if (!list) { list = document.createElement("ul"); list.className = "errorlist"; form.prepend(list); }
    list.replaceChildren(Object.assign(document.createElement("li"), {textContent: text}));
  };
  const answer = async (response) => {
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || `the server answered ${response.status}`);
    return body;
  };
  const sendPart = async (url, part) => {
    for (let tries = 1; ; tries++) {
      try { return await answer(await post(url, part)); } catch (error) {
        if (error instanceof Error && !(error instanceof TypeError)) throw error;  // refused, not dropped
        if (tries === 5) throw new Error("The connection keeps dropping: try again later.");
        await new Promise((resolve) => setTimeout(resolve, 1000 * tries));
      }
    }
  };
  form.addEventListener("submit", async (event) => {
    const file = form.elements.file.files[0];
    if (!file) return;  // the form says what is missing
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true; bar.hidden = false; bar.value = 0;
    try {
      const start = new FormData();
      start.append("name", file.name); start.append("size", file.size); start.append("notes", form.elements.notes.value);
      let response = await post(form.dataset.start, start);
      if (response.status === 409) {   // the same file was stored before: ask
        const {duplicate} = await response.json();
        if (!window.confirm(duplicate)) { button.disabled = false; bar.hidden = true; return; }
        start.append("again", "1");
        response = await post(form.dataset.start, start);
      }
      const upload = await answer(response);
      for (let offset = 0; offset < file.size;) {
        const part = file.slice(offset, offset + upload.part_bytes);
        offset = (await sendPart(`${upload.part_url}?offset=${offset}`, part)).received;
        bar.value = 100 * offset / file.size;
      }
      location.assign((await answer(await post(upload.finish_url, null))).url);
    } catch (error) {
      say(error.message); button.disabled = false; bar.hidden = true;
    }
  });
})();
