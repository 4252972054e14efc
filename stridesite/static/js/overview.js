/* Squad overview: sortable columns (click a header, or focus it and press Enter or Space; again to reverse). */
"use strict";
document.querySelectorAll("#overview th").forEach((th, column) => {
  th.tabIndex = 0;
  th.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); th.click(); }
  });
});
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
  th.closest("tr").querySelectorAll("th").forEach((other) => other.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", direction > 0 ? "ascending" : "descending");
  rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * direction).forEach((r) => body.append(r));
}));
