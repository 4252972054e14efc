/* Files analysed in the background (an uploaded file, runs synced from the leggings): follow each
 * element with a data-progress-url — its <progress>, .percent and .stage — then show the result. */
"use strict";
(() => {
  const boxes = [...document.querySelectorAll("[data-progress-url]")].filter((b) => b.dataset.stage !== "failed");
  if (!boxes.length) return;
  const poll = async () => {
    let busy = false;
    for (const box of boxes) {
      try {
        const response = await fetch(box.dataset.progressUrl, {headers: {Accept: "application/json"}});
        if (!response.ok) continue;
        const status = await response.json();
        if (status.stage === "done" || status.stage === "failed") continue;
        busy = true;
        const value = Math.round(100 * status.progress);
        box.querySelector("progress").value = value;
        box.querySelector(".percent").textContent = `${value} %`;
        box.querySelector(".stage").textContent = status.label;
      } catch (error) { busy = true; /* the server is restarting: try again */ }
    }
    if (busy) setTimeout(poll, 1000); else location.reload();
  };
  setTimeout(poll, 1000);
})();
