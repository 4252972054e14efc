/* Session page of an uploaded file still being analysed: follow the background work, then show the result. */
"use strict";
(() => {
  const box = document.getElementById("upload-status");
  if (!box || box.dataset.stage === "failed") return;
  const bar = document.getElementById("upload-bar"), percent = document.getElementById("upload-percent"),
        stage = document.getElementById("upload-stage");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.url, {headers: {Accept: "application/json"}});
      if (response.ok) {
        const status = await response.json();
        if (status.stage === "done" || status.stage === "failed") { location.reload(); return; }
        const value = Math.round(100 * status.progress);
        bar.value = value; percent.textContent = `${value} %`; stage.textContent = status.label;
      }
    } catch (error) { /* the server is restarting: try again */ }
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 1000);
})();
