// Article editor: the preview beside the Markdown follows typing. The server renders and
// sanitizes it exactly as readers will see it, so the preview never runs the author's script.
(function () {
  "use strict";
  var source = document.querySelector("textarea.kb-source[data-preview-url]");
  var preview = document.getElementById("kb-preview");
  var status = document.getElementById("kb-preview-status");
  if (!source || !preview || !window.fetch) { return; }
  var form = source.closest("form");
  var csrf = form ? form.querySelector("input[name=csrf_token]") : null;
  var url = source.getAttribute("data-preview-url");
  var timer = null;
  var sent = null;

  function refresh() {
    var text = source.value;
    if (text === sent) { return; }
    sent = text;
    var data = new FormData();
    data.append("body", text);
    if (csrf) { data.append("csrf_token", csrf.value); }
    fetch(url, {method: "POST", body: data, credentials: "same-origin",
                headers: {"Accept": "application/json", "X-CSRFToken": csrf ? csrf.value : ""}})
      .then(function (response) { return response.json().then(function (json) { return [response.ok, json]; }); })
      .then(function (pair) {
        if (pair[0]) {
          preview.innerHTML = pair[1].html; // sanitized on the server (nh3)
          status.textContent = status.getAttribute("data-ok") || status.textContent;
        } else {
          status.textContent = (pair[1].error && pair[1].error.message) || "";
        }
      })
      .catch(function () { sent = null; });
  }

  source.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
  refresh();
})();
