// Roster console: the bulk buttons of the users list work on the selected rows, so they are
// enabled only while a row is selected; "Select all on this page" selects every row shown.
// Without this script the buttons stay enabled and the server says when nothing was selected.
(function () {
  "use strict";
  function update(form) {
    var any = form.querySelector('input[name="user"]:checked') !== null;
    form.querySelectorAll("button[data-bulk]").forEach(function (button) { button.disabled = !any; });
  }
  function bulkForm() { return document.getElementById("bulk"); }
  document.addEventListener("change", function (event) {
    var form = bulkForm();
    if (!form || !form.contains(event.target)) { return; }
    if (event.target.hasAttribute("data-all")) {
      form.querySelectorAll('input[name="user"]').forEach(function (box) { box.checked = event.target.checked; });
    }
    update(form);
  });
  document.addEventListener("htmx:afterSettle", function () { var form = bulkForm(); if (form) { update(form); } });
  document.addEventListener("DOMContentLoaded", function () { var form = bulkForm(); if (form) { update(form); } });
})();
