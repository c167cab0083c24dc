/* Passage UI: small progressive enhancements only; every page works without this file. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // After a refused form, move keyboard focus to the first field with a message.
    var invalid = document.querySelector("[aria-invalid='true']");
    var alert = document.querySelector(".alert[role='alert']");
    if (invalid) { invalid.focus(); } else if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
    // Ask before a release: it cannot be undone from the UI.
    document.querySelectorAll("form[action$='/release']").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm("Release this person? This closes the stay.")) { event.preventDefault(); }
      });
    });
  });
})();
