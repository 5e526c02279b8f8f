// Signup form: check the address as the user types; suggest the country's time zone.
(function () {
  "use strict";
  var form = document.getElementById("signup-form");
  if (!form) return;
  var slug = form.querySelector("[name=slug]");
  var live = document.getElementById(slug.id + "_live");
  var timer = null;
  slug.addEventListener("input", function () {
    slug.value = slug.value.toLowerCase().replace(/[^a-z0-9-]/g, "");
    clearTimeout(timer);
    if (slug.value.length < 3) { live.textContent = ""; return; }
    timer = setTimeout(function () {
      fetch(form.dataset.checkUrl + "?slug=" + encodeURIComponent(slug.value), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.slug !== slug.value) return;
          live.textContent = data.message;
          live.className = "field__live " + (data.available ? "is-ok" : "is-bad");
          slug.setAttribute("aria-invalid", data.available ? "false" : "true");
        })
        .catch(function () { live.textContent = ""; });
    }, 250);
  });
  var zones = JSON.parse(document.getElementById("country-zones").textContent);
  var country = form.querySelector("[name=country]");
  var zone = form.querySelector("[name=time_zone]");
  country.addEventListener("change", function () {
    if (zones[country.value]) zone.value = zones[country.value];
  });
})();
