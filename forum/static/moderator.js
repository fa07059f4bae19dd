// Keyboard shortcuts for the moderation queue: j/k move, a approve, r reject, c claim,
// x select for bulk, o open the case, ? help. Loaded as a file: the CSP allows no inline script.
// (forum.js asks before submitting forms with data-confirm, e.g. suspend.)
(function () {
  "use strict";

  function cases() {
    return Array.prototype.slice.call(document.querySelectorAll("article.case"));
  }

  var current = -1;

  function select(index) {
    var list = cases();
    if (!list.length) return;
    index = Math.max(0, Math.min(list.length - 1, index));
    list.forEach(function (el) { el.classList.remove("case--current"); el.removeAttribute("aria-current"); });
    var el = list[index];
    el.classList.add("case--current");
    el.setAttribute("aria-current", "true");
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "nearest" });
    current = index;
  }

  function currentCase() {
    var list = cases();
    if (current < 0 && list.length) select(0);
    return list[current] || null;
  }

  function toggleHelp(show) {
    var help = document.getElementById("mod-help");
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {
      toggleHelp(false);
      if (typing(event.target)) event.target.blur();
      return;
    }
    if (typing(event.target)) return;
    var el;
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "?": toggleHelp(); break;
      case "a":
        el = currentCase();
        var approve = el && el.querySelector("form.js-approve");
        if (approve) approve.requestSubmit();
        break;
      case "r":
        el = currentCase();
        var reason = el && el.querySelector(".js-reject-reason");
        if (reason) reason.focus();
        break;
      case "c":
        el = currentCase();
        var claim = el && el.querySelector("form[action$='/claim']");
        if (claim) claim.requestSubmit();
        break;
      case "x":
        el = currentCase();
        var box = el && el.querySelector("input.js-select");
        if (box) box.checked = !box.checked;
        break;
      case "o":
        el = currentCase();
        var link = el && el.querySelector("h2 a");
        if (link) window.location.assign(link.href);
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (cases().length && document.getElementById("mod-help")) select(0);
  });
})();
