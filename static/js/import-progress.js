// The import batch page's progress bar: asks the status URL every second and a half, and
// reloads the page once the job has finished. Without JavaScript the page has a Reload link.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("import-progress");
  var count = document.getElementById("import-count");
  var status = document.getElementById("import-status");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        bar.value = data.percent;
        bar.textContent = data.percent + "%";
        count.textContent = data.processed + " / " + (data.total || "?");
        status.textContent = data.label;
        if (data.active) { window.setTimeout(poll, 1500); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
}());
