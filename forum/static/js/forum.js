// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Ask before destructive or hard-to-undo actions (delete, block).
  document.addEventListener("submit", function (event) {
    // The question is on the button (posts' buttons share the page's one form) or the form.
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) ||
      event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Only one small menu (member options, report) open at a time; close it from outside.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) {
        menu.removeAttribute("open");
      }
    });
  }

  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest("details.menu"));
  });

  // "Edit my text" after the privacy nudge: put the cursor in the text, which is kept as written.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-focus]");
    var target = link && document.getElementById(link.getAttribute("data-focus"));
    if (target) {
      event.preventDefault();
      target.focus();
    }
  });

  // Escape closes an open menu and puts focus back on its toggle.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var menu = document.activeElement && document.activeElement.closest("details.menu[open]");
    if (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    }
  });
})();
