/* Squad overview: sortable columns (click a header; again to reverse). */
"use strict";
document.querySelectorAll("#overview th").forEach((th, column) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0];
  const numeric = th.dataset.sort === "num", rows = [...body.rows];
  const key = (row) => { const text = row.cells[column].textContent.replace("⚠", "").trim();
                         return numeric ? (text === "" ? -Infinity : parseFloat(text)) : text; };
  const direction = th.dataset.direction === "asc" ? -1 : 1;
  th.dataset.direction = direction === 1 ? "asc" : "desc";
  rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * direction).forEach((r) => body.append(r));
}));
