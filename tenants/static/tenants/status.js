// Progress page: poll the signup's status until the site is live (or needs a hand).
(function () {
  "use strict";
  var box = document.getElementById("signup-status");
  if (!box) return;
  var url = box.dataset.statusUrl;
  var show = function (id, visible) { document.getElementById(id).hidden = !visible; };
  function poll() {
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (state) {
        box.dataset.status = state.status;
        if (state.status === "live") {
          document.getElementById("site-link").href = state.site_url;
          document.getElementById("admin-link").href = state.admin_url;
          show("status-working", false); show("status-live", true); show("status-failed", false);
          return;
        }
        if (state.status === "failed") {
          show("status-working", false); show("status-failed", true);
          return;
        }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.dataset.status !== "live" && box.dataset.status !== "failed") poll();
})();
