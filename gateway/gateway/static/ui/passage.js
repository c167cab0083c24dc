/* Passage UI: small progressive enhancements only; every page works without this file. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // After a refused form, move keyboard focus to the first field with a message.
    var invalid = document.querySelector("[aria-invalid='true']");
    var alert = document.querySelector(".alert[role='alert']");
    if (invalid) { invalid.focus(); } else if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
    // Irreversible steps are confirmed on a page of their own (works without this script).
    // The print button of printable pages.
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
