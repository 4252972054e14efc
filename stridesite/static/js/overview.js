/* Squad overview: sortable columns (click a header; again to reverse). */
"use strict";
document.querySelectorAll("#overview th").forEach((th, column) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0];
  const numeric = th.dataset.sort === "num", rows = [...body.rows];
  // A cell's data-value, where given, is what it sorts by (symmetry: its size, not its sign).
  const key = (row) => { const cell = row.cells[column], text = cell.textContent.replace("⚠", "").trim();
                         if (!numeric) return text;
                         const value = cell.dataset.value ?? text;
                         return value === "" ? -Infinity : parseFloat(value); };
  const first = th.dataset.first === "desc" ? -1 : 1;  // symmetry: the largest difference first
  const direction = th.dataset.direction ? -Number(th.dataset.direction) : first;
  th.dataset.direction = String(direction);
  rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * direction).forEach((r) => body.append(r));
}));
