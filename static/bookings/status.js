/* The visitor's page: reload it when the Join button opens, so it is ready without a tap. */
(function () {
  "use strict";
  var join = document.querySelector("[data-join-opens]");
  if (!join) { return; }
  var wait = Number(join.getAttribute("data-join-opens")) * 1000 - Date.now();
  // Timers beyond ~24 days overflow; nobody keeps the page open that long.
  if (wait > 0 && wait < 2147483647) { window.setTimeout(function () { window.location.reload(); }, wait + 1000); }
})();
