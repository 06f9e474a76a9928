// The status page reloads itself every minute, as a wall display wants, and a reader can turn that off (WCAG 2.2.1:
// a page may not change under someone who is still reading it without a way to stop it). A <meta> refresh, which
// this replaces, offered no way. The choice is kept in this browser for the next visit.
(function () {
  "use strict";

  const box = document.getElementById("auto-refresh");
  if (!box) return;
  const KEY = "switchboard.status-refresh";
  const EVERY = 60 * 1000;
  let timer = 0;

  function schedule() {
    clearTimeout(timer);
    if (box.checked) timer = setTimeout(() => location.reload(), EVERY);
  }

  box.checked = localStorage.getItem(KEY) !== "off";
  box.addEventListener("change", () => {
    localStorage.setItem(KEY, box.checked ? "on" : "off");
    schedule();
  });
  box.closest("[hidden]")?.removeAttribute("hidden"); // shown only where the script runs to honour it
  schedule();
})();
