// Draws the SLA report's histograms with the vendored Chart.js. The data sits in each canvas's
// data-histogram attribute (JSON), because the CSP allows no inline script. Without Chart.js the
// tables under the charts still show the numbers.
(function () {
  "use strict";

  function draw(canvas) {
    var data;
    try {
      data = JSON.parse(canvas.getAttribute("data-histogram"));
    } catch (e) {
      return;
    }
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: data.count_label, data: data.counts, backgroundColor: "#2b59c3", borderRadius: 3 }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false }, title: { display: false } },
        scales: {
          x: { title: { display: true, text: data.axis }, grid: { display: false } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: data.count_label } }
        }
      }
    });
  }

  function init() {
    if (typeof window.Chart !== "function") {
      return;
    }
    var canvases = document.querySelectorAll("canvas[data-histogram]");
    for (var i = 0; i < canvases.length; i++) {
      draw(canvases[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
