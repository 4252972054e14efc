/* A runner's page while runs synced from her leggings arrive: follow each one, then show the result. */
"use strict";
(() => {
  const rows = [...document.querySelectorAll("#syncing .sync")];
  const poll = async () => {
    let busy = false;
    for (const row of rows) {
      try {
        const response = await fetch(row.dataset.url, {headers: {Accept: "application/json"}});
        if (!response.ok) continue;
        const status = await response.json();
        if (status.stage === "done" || status.stage === "failed") continue;
        busy = true;
        const value = Math.round(100 * status.progress);
        row.querySelector("progress").value = value;
        row.querySelector(".sync-percent").textContent = `${value} %`;
        row.querySelector(".sync-stage").textContent = status.label;
      } catch (error) { busy = true; /* the server is restarting: try again */ }
    }
    if (busy) setTimeout(poll, 1000); else location.reload();
  };
  setTimeout(poll, 1000);
})();
