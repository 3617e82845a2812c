// Filters: show all cases, or only regressed, flaky or failing ones, in
// every suite or in one. Reads data-* attributes only; touches no network.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.case"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.suite"));
  var suite = document.getElementById("f-suite");
  var shown = document.getElementById("shown");
  function apply() {
    var checked = document.querySelector("input[name=show]:checked");
    var show = checked ? checked.value : "all";
    var want = suite.value;
    var n = 0;
    rows.forEach(function (r) {
      var ok = (show === "all" || r.getAttribute("data-" + show) === "true") &&
        (want === "" || r.getAttribute("data-suite") === want);
      r.classList.toggle("hidden", !ok);
      if (ok) { n++; }
    });
    sections.forEach(function (s) {
      s.classList.toggle("hidden", s.querySelector("tr.case:not(.hidden)") === null);
    });
    shown.textContent = n + " of " + rows.length + " cases shown";
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[name=show]"), function (i) {
    i.addEventListener("change", apply);
  });
  suite.addEventListener("change", apply);
  apply();
})();
