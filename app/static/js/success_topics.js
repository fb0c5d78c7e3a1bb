/* Weekly ticket chart of a topic (data from the canvas's data-chart attribute; no inline script). */
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("topic-weekly");
    if (!canvas || typeof Chart === "undefined") { return; }
    var spec = JSON.parse(canvas.getAttribute("data-chart") || "{}");
    new Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels || [], datasets: [{ label: canvas.getAttribute("data-series") || "", data: spec.counts || [], backgroundColor: "#2b59c3" }] },
      options: { maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } },
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
