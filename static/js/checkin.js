/* Check-in: refresh the arrivals table every 15 seconds while the page is visible.
   Progressive enhancement only: without this file the "Refresh the numbers" link does
   the same. The server formats the numbers, so both languages read as the page does. */
(function () {
  "use strict";
  var box = document.querySelector("[data-checkin-counts]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-checkin-counts");

  function show(key, value) {
    var cell = box.querySelector('[data-count="' + key + '"]');
    if (cell && typeof value === "string" && cell.textContent !== value) {
      cell.textContent = value;
    }
  }

  function refresh() {
    if (document.hidden) {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (counts) {
        if (!counts) {
          return;
        }
        counts.tracks.forEach(function (track) {
          show("checked_in-" + track.id, track.checked_in);
          show("confirmed-" + track.id, track.confirmed);
        });
        show("checked_in", counts.checked_in);
        show("confirmed", counts.confirmed);
      })
      .catch(function () {});
  }

  window.setInterval(refresh, 15000);
  document.addEventListener("visibilitychange", refresh);
})();
