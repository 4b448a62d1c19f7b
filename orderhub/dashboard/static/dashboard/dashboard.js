/* Draws the dashboard's charts from the JSON the page carries (#dashboard-data), with the vendored Chart.js. */
(function () {
  "use strict";
  function draw() {
    var node = document.getElementById("dashboard-data");
    if (!node || typeof Chart === "undefined") { return; }
    var data = JSON.parse(node.textContent);
    var palette = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];
    var common = { animation: false, responsive: true, maintainAspectRatio: false };
    window.orderhubCharts = {};

    var orders = data.ordersPerHour;
    var platforms = Object.keys(orders.series);
    window.orderhubCharts.orders = new Chart(document.getElementById("chart-orders"), {
      type: "line",
      data: {
        labels: orders.labels,
        datasets: platforms.map(function (name, i) {
          return { label: name, data: orders.series[name], borderColor: palette[i % palette.length], tension: 0.2 };
        })
      },
      options: common
    });

    window.orderhubCharts.exceptions = new Chart(document.getElementById("chart-exceptions"), {
      type: "bar",
      data: { labels: data.exceptions.labels, datasets: [{ label: "holds", data: data.exceptions.counts, backgroundColor: "#d97706" }] },
      options: common
    });

    var cycleCanvas = document.getElementById("chart-cycle");
    if (cycleCanvas && data.cycle) {
      window.orderhubCharts.cycle = new Chart(cycleCanvas, {
        type: "line",
        data: {
          labels: data.cycle.labels,
          datasets: [
            { label: "median (h)", data: data.cycle.median, borderColor: "#2563eb" },
            { label: "p90 (h)", data: data.cycle.p90, borderColor: "#dc2626" }
          ]
        },
        options: common
      });
    }

    window.orderhubCharts.health = new Chart(document.getElementById("chart-health"), {
      type: "line",
      data: { labels: data.health.labels, datasets: [{ label: "index", data: data.health.index, borderColor: "#16a34a" }] },
      options: Object.assign({}, common, { scales: { y: { min: 0, max: 100 } } })
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
