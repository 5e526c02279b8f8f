// The staff agenda: drag an appointment onto a free time to move it (the server
// re-checks and says why when it refuses), and keep the now-line current.
(function () {
  "use strict";
  const csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  let dragged = null;
  document.querySelectorAll(".agenda__block[draggable='true']").forEach((block) => {
    block.addEventListener("dragstart", (event) => {
      dragged = block;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", block.dataset.moveUrl);
    });
    block.addEventListener("dragend", () => { dragged = null; });
  });
  document.querySelectorAll(".agenda__free[data-start]").forEach((cell) => {
    cell.addEventListener("dragover", (event) => { if (dragged) { event.preventDefault(); cell.classList.add("is-drop-target"); } });
    cell.addEventListener("dragleave", () => cell.classList.remove("is-drop-target"));
    cell.addEventListener("drop", (event) => {
      event.preventDefault();
      cell.classList.remove("is-drop-target");
      if (!dragged) return;
      const form = document.createElement("form");
      form.method = "post";
      form.action = dragged.dataset.moveUrl;
      const fields = { csrfmiddlewaretoken: csrf(), inicio: cell.dataset.start, profesional: cell.dataset.practitioner, next: window.location.pathname + window.location.search };
      Object.entries(fields).forEach(([name, value]) => {
        const input = document.createElement("input");
        input.type = "hidden"; input.name = name; input.value = value;
        form.appendChild(input);
      });
      document.body.appendChild(form);
      form.submit();
    });
  });
  // The now-line moves one 5-minute row at a time: reload the grid's position every 5 minutes.
  const now = document.querySelector(".agenda__now");
  if (now) {
    window.setTimeout(() => window.location.reload(), 5 * 60 * 1000);
  }
})();
