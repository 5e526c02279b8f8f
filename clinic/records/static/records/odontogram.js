// The odontogram editor: select a tooth and surface on the server-drawn SVG by click or
// keyboard, edit it in the form beside it, and post the whole chart as JSON (the server
// validates it against the FDI notation; without this script the form edits one tooth).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("odontogram-data").textContent);
  const chart = data.chart;
  const form = document.getElementById("odontogram-form");
  const svg = document.querySelector("#odontogram-chart svg");
  const field = (name) => form.querySelector(`[name="${name}"]`);
  const surfaces = ["M", "D", "O", "V", "L"];
  const changed = new Set();

  function entry(tooth) {
    return chart[tooth] || { state: "healthy" };
  }

  function load(tooth) {
    const e = entry(tooth);
    field("tooth").value = tooth;
    field("state").value = e.state || "healthy";
    surfaces.forEach((s) => { field(`surface_${s}`).value = (e.surfaces || {})[s] || ""; });
    field("note").value = e.note || "";
    svg.querySelectorAll(".odontogram__tooth").forEach((g) => g.classList.toggle("is-selected", g.dataset.tooth === tooth));
  }

  function paint(tooth) {
    const e = entry(tooth);
    const toothColour = (data.tooth[e.state] || data.tooth.healthy)[0];
    svg.querySelectorAll(`polygon[data-tooth="${tooth}"]`).forEach((polygon) => {
      const value = (e.surfaces || {})[polygon.dataset.surface];
      polygon.setAttribute("fill", value ? data.surface[value][0] : toothColour);
    });
  }

  function store() {
    const tooth = field("tooth").value;
    const item = { state: field("state").value, surfaces: {}, note: field("note").value.trim() };
    surfaces.forEach((s) => { if (field(`surface_${s}`).value) item.surfaces[s] = field(`surface_${s}`).value; });
    if (item.state === "healthy" && !Object.keys(item.surfaces).length && !item.note) delete chart[tooth];
    else chart[tooth] = item;
    changed.add(tooth);
    paint(tooth);
    document.getElementById("odontogram-pending").textContent = `${form.dataset.pending} ${[...changed].sort().join(", ")}`;
  }

  function select(target) {
    const tooth = target.dataset.tooth;
    if (!tooth) return;
    load(tooth);
    const surface = target.dataset.surface;
    (surface ? field(`surface_${surface}`) : field("state")).focus();
  }

  svg.addEventListener("click", (event) => { const t = event.target.closest("[data-tooth][role=button]"); if (t) select(t); });
  svg.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    const t = event.target.closest("[data-tooth][role=button]");
    if (t) { event.preventDefault(); select(t); }
  });
  field("tooth").addEventListener("change", () => load(field("tooth").value));
  ["state", "note", ...surfaces.map((s) => `surface_${s}`)].forEach((name) => field(name).addEventListener("change", store));
  form.addEventListener("submit", () => { field("chart").value = JSON.stringify(chart); });
  load(field("tooth").value || "11");
})();
