// Draws every customer-success chart (dashboard, accounts, NPS, topics, playbooks) with the vendored
// Chart.js. Each canvas carries its data in data-chart (JSON: type, labels, series, percent),
// because the CSP allows no inline script.
// Without Chart.js the tables beside the charts still show the numbers.
(function () {
  "use strict";

  var COLORS = ["#2b59c3", "#b42318", "#067647", "#8a5a00", "#6941c6"];
  var BAND_COLORS = ["#067647", "#e0a800", "#b42318"];

  function draw(canvas) {
    var spec;
    try {
      spec = JSON.parse(canvas.getAttribute("data-chart"));
    } catch (e) {
      return;
    }
    var doughnut = spec.type === "doughnut";
    var datasets = spec.series.map(function (s, i) {
      var color = COLORS[i % COLORS.length];
      return {
        label: s.label,
        data: s.data,
        borderColor: doughnut ? "#ffffff" : color,
        backgroundColor: doughnut ? BAND_COLORS : color,
        borderRadius: spec.type === "bar" ? 3 : 0,
        spanGaps: true,
        tension: 0.2
      };
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: doughnut || spec.series.length > 1, position: "bottom" } }
    };
    if (!doughnut) {
      options.scales = { y: { beginAtZero: spec.min === undefined, ticks: { precision: 0 } } };
      if (spec.percent) { options.scales.y.max = 100; }
      if (spec.min !== undefined) { options.scales.y.min = spec.min; }
      if (spec.max !== undefined) { options.scales.y.max = spec.max; }
    }
    new window.Chart(canvas, { type: spec.type, data: { labels: spec.labels, datasets: datasets }, options: options });
  }

  function init() {
    if (typeof window.Chart !== "function") {
      return;
    }
    var canvases = document.querySelectorAll("canvas[data-chart]");
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
