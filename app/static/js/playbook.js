// Playbook pages: shows only the fields of the chosen step type (the outcomes chart is drawn by
// success_charts.js). Without JavaScript every field shows.
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

  function init() {
    var selects = document.querySelectorAll("select[data-step-kind]");
    for (var i = 0; i < selects.length; i++) {
      syncKind(selects[i]);
      selects[i].addEventListener("change", function (event) { syncKind(event.target); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
