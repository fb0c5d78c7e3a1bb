// Agent queue keyboard use: j / k move between tickets, x checks the current one, Enter opens it.
// A "check all" box appears only when scripts run (without it every row is still checkable).
(function () {
  "use strict";
  // Sidebar counts the server had not counted recently arrive after the page (they can cost more
  // than the page itself on a big queue).
  var side = document.querySelector("[data-counts-url]");
  if (side && side.querySelector(".count") && window.fetch) {
    fetch(side.getAttribute("data-counts-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (counts) {
        side.querySelectorAll("[data-count]").forEach(function (badge) {
          var value = counts[badge.getAttribute("data-count")];
          if (value !== undefined) { badge.textContent = value; }
        });
      })
      .catch(function () { /* the counts stay as they were */ });
  }

  var rows = Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr"));
  if (!rows.length) { return; }
  var current = -1;

  function focusRow(index) {
    if (index < 0 || index >= rows.length) { return; }
    if (current >= 0) { rows[current].classList.remove("current"); }
    current = index;
    rows[current].classList.add("current");
    rows[current].querySelector("a.ticket-link").focus();
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
    if (event.key === "j") { focusRow(current + 1); event.preventDefault(); }
    else if (event.key === "k") { focusRow(current < 0 ? 0 : current - 1); event.preventDefault(); }
    else if (event.key === "x" && current >= 0) {
      var box = rows[current].querySelector("input[type=checkbox]");
      if (box) { box.checked = !box.checked; }
      event.preventDefault();
    }
  });

  rows.forEach(function (row, index) {
    var link = row.querySelector("a.ticket-link");
    if (link) { link.addEventListener("focus", function () { if (current !== index) { focusRow(index); } }); }
  });

  var all = document.querySelector("input.pick-all");
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      rows.forEach(function (row) {
        var box = row.querySelector("input[type=checkbox]");
        if (box) { box.checked = all.checked; }
      });
    });
  }
}());
