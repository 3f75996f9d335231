// Patrol console: live refresh and SLA countdowns. No framework, no inline script (the
// Content-Security-Policy forbids it); every page works without this file, only less live.
"use strict";
(function () {
  var REFRESH_MS = 10000; // the limit: polling at most every 10 s

  function countdowns() {
    var now = Date.now();
    document.querySelectorAll("time.countdown").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) { return; }
      var left = Math.round((due - now) / 1000);
      if (left <= 0) {
        el.textContent = el.getAttribute("data-breached");
        el.classList.add("late");
        return;
      }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = (h ? h + "h " : "") + (h || m ? m + "m " : "") + s + "s";
      el.classList.toggle("soon", left < 3600);
    });
  }

  function refresh(box) {
    // While someone types in a form inside the box, leave it alone.
    if (box.contains(document.activeElement) && document.activeElement.tagName === "INPUT") { return; }
    fetch(box.getAttribute("data-live"), {headers: {"X-Console-Fragment": "live"}, credentials: "same-origin",
                                          redirect: "error"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        // The server escaped every value in this fragment; it is our own template's output.
        box.innerHTML = html;
        box.setAttribute("data-refreshed", String(Date.now()));
        countdowns();
      })
      .catch(function () { box.classList.add("stale"); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    countdowns();
    setInterval(countdowns, 1000);
    document.querySelectorAll("[data-live]").forEach(function (box) {
      setInterval(function () { refresh(box); }, REFRESH_MS);
    });
  });
})();
