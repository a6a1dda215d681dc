// Draws the overdue-by-unit bar chart from the JSON the page carries (no inline script).
(function () {
  var canvas = document.getElementById('overdue-chart');
  if (!canvas || typeof Chart === 'undefined') { return; }
  var data = JSON.parse(canvas.dataset.chart);
  var colours = ['#f59e0b', '#ea580c', '#b91c1c'];
  new Chart(canvas, {
    type: 'bar',
    data: {
      labels: data.labels,
      datasets: data.series.map(function (s, i) {
        return { label: s.label, data: s.data, backgroundColor: colours[i % colours.length] };
      })
    },
    options: { responsive: true, maintainAspectRatio: false, animation: false,
               scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true,
                                                    ticks: { precision: 0 } } } }
  });
}());
