// Picking a treatment's tooth and surfaces on the odontogram (the plan page): a click, or
// Enter on a focused tooth number or surface, fills the form's tooth field and ticks the
// surface. Without this script the form's tooth field and surface boxes do the same.
(function () {
  "use strict";
  const chart = document.querySelector("#plan-chart svg");
  const form = document.getElementById("plan-item-form");
  if (!chart || !form) return;
  const tooth = form.querySelector('[name="tooth"]');

  function pick(target) {
    const number = target.dataset.tooth;
    if (!number) return;
    if (tooth.value !== number) {
      form.querySelectorAll('[name="surfaces"]').forEach((box) => { box.checked = false; });
    }
    tooth.value = number;
    const surface = target.dataset.surface;
    if (surface) {
      const box = form.querySelector(`[name="surfaces"][value="${surface}"]`);
      if (box) box.checked = !box.checked;
    }
    chart.querySelectorAll(".odontogram__tooth").forEach((g) => g.classList.toggle("is-selected", g.dataset.tooth === number));
  }

  chart.addEventListener("click", (event) => { const t = event.target.closest("[data-tooth][role=button]"); if (t) pick(t); });
  chart.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    const t = event.target.closest("[data-tooth][role=button]");
    if (t) { event.preventDefault(); pick(t); }
  });
})();
