// Agent ticket page: articles that may answer the ticket, each with a button that puts its link
// into the reply box at the cursor.
(function () {
  "use strict";
  var panel = document.getElementById("kb-ticket-suggestions");
  if (!panel || !window.fetch) { return; }
  var list = panel.querySelector("ul");
  var status = panel.querySelector("[data-role=status]");
  var reply = document.querySelector("form[action$='/messages'] textarea[name=body]");

  function insert(text) {
    if (!reply) { return; }
    var start = reply.selectionStart, end = reply.selectionEnd, value = reply.value;
    if (typeof start !== "number") { start = end = value.length; }
    var before = value.slice(0, start), after = value.slice(end);
    var pad = before && !/\s$/.test(before) ? " " : "";
    reply.value = before + pad + text + (after && !/^\s/.test(after) ? " " : "") + after;
    var caret = (before + pad + text).length;
    reply.focus();
    reply.setSelectionRange(caret, caret);
    reply.dispatchEvent(new Event("input", {bubbles: true}));
  }

  fetch(panel.getAttribute("data-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (response) { return response.ok ? response.json() : {results: []}; })
    .then(function (data) {
      var results = data.results || [];
      status.textContent = results.length ? "" : panel.getAttribute("data-empty");
      status.hidden = results.length > 0;
      results.forEach(function (r) {
        var li = document.createElement("li");
        var label = document.createElement("span");
        label.className = "kb-suggest-title";
        li.appendChild(label);
        var a = document.createElement("a");
        a.href = r.url;
        a.target = "_blank";
        a.rel = "noopener";
        a.textContent = r.title;
        a.setAttribute("lang", r.locale);
        label.appendChild(a);
        var meta = document.createElement("span");
        meta.className = "muted";
        meta.textContent = " · " + r.locale + (r.internal ? " · " + panel.getAttribute("data-internal") : "");
        label.appendChild(meta);
        if (reply && !r.internal) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "kb-insert";
          button.textContent = panel.getAttribute("data-insert");
          button.setAttribute("aria-label", panel.getAttribute("data-insert") + ": " + r.title);
          button.addEventListener("click", function () { insert(r.title + ": " + r.url); });
          li.appendChild(button);
        }
        list.appendChild(li);
      });
    })
    .catch(function () { status.textContent = panel.getAttribute("data-empty"); });
})();
