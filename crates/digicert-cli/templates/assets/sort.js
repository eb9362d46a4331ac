// Sorts and filters the page's tables in place, without asking the server again. Without
// this script the column links and filter forms do the same on the server.
(function () {
  "use strict";

  function bodyRows(table) {
    return Array.prototype.filter.call(table.tBodies[0].rows, function (row) {
      return !row.classList.contains("empty");
    });
  }

  function sortBy(table, header, index) {
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var numeric = header.classList.contains("num");
    var rows = bodyRows(table).sort(function (a, b) {
      var x = a.cells[index].getAttribute("data-sort") || "";
      var y = b.cells[index].getAttribute("data-sort") || "";
      var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return ascending ? order : -order;
    });
    var body = table.tBodies[0];
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.setAttribute("aria-sort", "none");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function filter(table, input) {
    var needle = input.value.trim().toLowerCase();
    var shown = 0;
    var rows = bodyRows(table);
    rows.forEach(function (row) {
      var match = needle === "" || row.textContent.toLowerCase().indexOf(needle) !== -1;
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    var count = document.getElementById(table.id + "-count");
    if (count && needle !== "") {
      count.textContent = shown + " of the " + rows.length + " rows shown match (press Filter to search them all).";
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      var link = header.querySelector("a");
      if (!link) { return; }
      link.addEventListener("click", function (event) {
        event.preventDefault();
        sortBy(table, header, index);
      });
    });
    var input = document.querySelector('input[data-filter="' + table.id + '"]');
    if (input) {
      input.addEventListener("input", function () { filter(table, input); });
    }
  });
}());
