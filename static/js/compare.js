// Compare pages: a sortable summary table. The connection state is live-status.js;
// everything else (streaming, stop, the builder's buttons, diffs) is htmx.
(() => {
  "use strict";

  // A heading button sorts the table by its column: numbers by data-value, blanks last;
  // a second click reverses. The table is re-rendered as runs finish, unsorted again.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("table[data-sortable] th button[data-sort]");
    if (!button) return;
    const table = button.closest("table");
    const heading = button.closest("th");
    const index = Number(button.dataset.sort);
    const ascending = heading.getAttribute("aria-sort") !== "ascending";
    for (const th of table.querySelectorAll("thead th[aria-sort]")) th.setAttribute("aria-sort", "none");
    heading.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const body = table.tBodies[0];
    const value = (row) => {
      const raw = row.children[index]?.dataset.value ?? "";
      return raw === "" ? null : Number(raw);
    };
    const rows = [...body.rows].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      if (x === null || y === null) return (x === null) - (y === null);
      return ascending ? x - y : y - x;
    });
    body.append(...rows);
  });
})();
