/*
 * The portal's own script. No inline scripts anywhere: the CSP allows script-src 'self' only.
 *
 * Charts: an element <div class="zp-chart" data-echarts-option="ID"> is drawn with ECharts from
 * the JSON option in the element with id ID, written by Django's json_script filter. The page
 * loads echarts.min.js itself (block extra_js), so pages without charts do not pay for it.
 * Charts inside content swapped in by htmx are drawn as well.
 */
(function () {
  "use strict";

  var charts = [];

  function drawCharts(root) {
    if (typeof window.echarts === "undefined" || !root || !root.querySelectorAll) {
      return;
    }
    var elements = root.querySelectorAll("[data-echarts-option]");
    Array.prototype.forEach.call(elements, function (element) {
      if (element.getAttribute("data-echarts-ready") === "1") {
        return;
      }
      var source = document.getElementById(element.getAttribute("data-echarts-option"));
      if (!source) {
        return;
      }
      var chart = window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(source.textContent));
      element.setAttribute("data-echarts-ready", "1");
      charts.push(chart);
    });
  }

  window.addEventListener("resize", function () {
    charts = charts.filter(function (chart) { return !chart.isDisposed(); });
    charts.forEach(function (chart) { chart.resize(); });
  });

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
  });
  // htmx fires htmx:load for every piece of content it swaps in
  document.addEventListener("htmx:load", function (event) {
    drawCharts(event.target);
  });
})();
