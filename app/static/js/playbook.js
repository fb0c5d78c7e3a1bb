// Playbook pages: shows only the fields of the chosen step type, and draws the outcomes chart with
// the vendored Chart.js from the canvas's data-playbook-chart attribute (the CSP allows no inline
// script). Without JavaScript every field shows and the table under the chart has the numbers.
(function () {
  "use strict";

  function syncKind(select) {
    var form = select.form;
    var kind = select.value;
    var blocks = form.querySelectorAll(".pb-kind-fields");
    for (var i = 0; i < blocks.length; i++) {
      var kinds = (blocks[i].getAttribute("data-kinds") || "").split(" ");
      blocks[i].hidden = kinds.indexOf(kind) < 0;
    }
  }

  function drawChart(canvas) {
    var data;
    try {
      data = JSON.parse(canvas.getAttribute("data-playbook-chart"));
    } catch (e) {
      return;
    }
    var colours = ["#2b59c3", "#b0b7c6"];
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (d, i) {
          return { label: d.label, data: d.data, backgroundColor: colours[i % colours.length], borderRadius: 3 };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { position: "bottom" } },
        scales: { y: { beginAtZero: true } }
      }
    });
  }

  function init() {
    var selects = document.querySelectorAll("select[data-step-kind]");
    for (var i = 0; i < selects.length; i++) {
      syncKind(selects[i]);
      selects[i].addEventListener("change", function (event) { syncKind(event.target); });
    }
    if (typeof window.Chart === "function") {
      var canvases = document.querySelectorAll("canvas[data-playbook-chart]");
      for (var j = 0; j < canvases.length; j++) {
        drawChart(canvases[j]);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
