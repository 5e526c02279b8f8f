// Progress page: poll the signup's status until the site is live. While the e-mail
// address awaits confirmation, or a failed provisioning awaits its retry, poll slower.
(function () {
  "use strict";
  var box = document.getElementById("signup-status");
  if (!box) return;
  var url = box.dataset.statusUrl;
  var panels = { pending_email: "status-email", pending_payment: "status-working", paid: "status-working",
                 live: "status-live", failed: "status-failed", expired: "status-expired" };
  function render(state) {
    box.dataset.status = state.status;
    Object.keys(panels).forEach(function (status) { document.getElementById(panels[status]).hidden = true; });
    document.getElementById(panels[state.status] || "status-working").hidden = false;
    if (state.status === "live") {
      document.getElementById("site-link").href = state.site_url;
      document.getElementById("admin-link").href = state.admin_url;
    }
    var message = document.querySelector("#" + (panels[state.status] || "status-working") + " .status-message");
    if (message && state.message) message.textContent = state.message;
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (state) {
        render(state);
        if (state.status === "live" || state.status === "expired") return;
        setTimeout(poll, state.status === "failed" || state.status === "pending_email" ? 10000 : 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.dataset.status !== "live" && box.dataset.status !== "expired") poll();
})();
