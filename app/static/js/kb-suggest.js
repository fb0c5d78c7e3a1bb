// Ticket form: while the customer types the subject or description, matching knowledge-base
// articles appear under the form (debounced, no reload). The visit carries a random token kept in
// sessionStorage: the server records what was shown, which article was opened (the link carries
// the token) and, through a beacon on submit, that the request was sent after all.
(function () {
  "use strict";
  var box = document.getElementById("kb-suggestions");
  if (!box || !window.fetch) { return; }
  var form = box.closest("form");
  if (!form) { return; }
  var subject = form.querySelector("[name=subject]");
  var body = form.querySelector("[name=body]");
  var list = box.querySelector("ul");
  var url = box.getAttribute("data-url");
  var submittedUrl = box.getAttribute("data-submitted-url");
  var KEY = "tandem.kb.visit";
  var memoryToken = null;
  var timer = null;
  var lastQuery = "";
  var pending = null;
  var sent = false;

  function newToken() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function token() {
    try {
      var stored = window.sessionStorage.getItem(KEY);
      if (!stored) { stored = newToken(); window.sessionStorage.setItem(KEY, stored); }
      return stored;
    } catch (e) { // storage switched off: one token per page view
      memoryToken = memoryToken || newToken();
      return memoryToken;
    }
  }

  function currentQuery() {
    var parts = [];
    if (subject && subject.value.trim()) { parts.push(subject.value.trim()); }
    if (body && body.value.trim()) { parts.push(body.value.trim().slice(0, 300)); }
    return parts.join(" ").slice(0, 1000);
  }

  function render(results) {
    list.textContent = "";
    results.forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.url;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = r.title;
      a.setAttribute("lang", r.locale);
      li.appendChild(a);
      if (r.snippet) {
        var p = document.createElement("p");
        p.className = "muted small";
        p.textContent = r.snippet;
        li.appendChild(p);
      }
      list.appendChild(li);
    });
    box.hidden = results.length === 0;
  }

  function lookUp() {
    if (sent) { return; }
    var q = currentQuery();
    if (q === lastQuery) { return; }
    lastQuery = q;
    if (q.length < 3) { render([]); return; }
    if (pending && pending.abort) { pending.abort(); }
    pending = window.AbortController ? new AbortController() : null;
    fetch(url + "?q=" + encodeURIComponent(q) + "&s=" + encodeURIComponent(token()), {
      credentials: "same-origin", headers: {"Accept": "application/json"}, signal: pending ? pending.signal : undefined
    })
      .then(function (response) { return response.ok ? response.json() : {results: []}; })
      .then(function (data) { render(data.results || []); })
      .catch(function () { /* aborted or offline: keep what is shown */ });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, 300);
  }

  [subject, body].forEach(function (field) {
    if (field) { field.addEventListener("input", schedule); }
  });

  form.addEventListener("submit", function () {
    // A look-up still due from the last keystroke would start a new visit while the page leaves.
    sent = true;
    window.clearTimeout(timer);
    if (pending && pending.abort) { pending.abort(); }
    var csrf = form.querySelector("input[name=csrf_token]");
    var data = new FormData();
    data.append("s", token());
    if (csrf) { data.append("csrf_token", csrf.value); }
    if (navigator.sendBeacon) {
      navigator.sendBeacon(submittedUrl, data);
    } else {
      fetch(submittedUrl, {method: "POST", body: data, credentials: "same-origin", keepalive: true});
    }
    // The next request starts a new visit.
    try { window.sessionStorage.removeItem(KEY); } catch (e) { memoryToken = null; }
  });

  if (currentQuery()) { schedule(); } // a form shown again after an error keeps its text
})();
