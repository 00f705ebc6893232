// Statistics charts: the figures come from stats.json (same filters as the page), drawn with Chart.js.
(function () {
  "use strict";
  const box = document.getElementById("charts");
  if (!box || !window.Chart) return;
  const css = getComputedStyle(document.documentElement);
  const colour = (name) => css.getPropertyValue("--" + name).trim() || "#616161";
  const brand = colour("brand");
  Chart.defaults.animation = false;  // figures, not a show: drawn at once
  Chart.defaults.scales.linear.ticks.precision = 0;  // counts are whole numbers

  function bar(id, labels, values, options) {
    return new Chart(document.getElementById(id), {
      type: "bar",
      data: { labels: labels, datasets: [{ label: box.dataset.reports, data: values, backgroundColor: options.colours || brand }] },
      options: Object.assign({ maintainAspectRatio: false, plugins: { legend: { display: false } } }, options.extra || {}),
    });
  }

  function pairs(counts, names) {
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
    return [entries.map(([code]) => (names && names[code]) || code), entries.map(([, value]) => value)];
  }

  fetch(box.dataset.source, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
    .then((data) => {
      const names = data.names;
      const weeks = Object.keys(data.weekly);
      const statuses = Object.keys(names.status).filter((s) => weeks.some((w) => data.weekly[w][s]));
      new Chart(document.getElementById("chart-status-time"), {
        type: "bar",
        data: {
          labels: weeks,
          datasets: statuses.map((s) => ({ label: names.status[s], data: weeks.map((w) => data.weekly[w][s] || 0),
                                          backgroundColor: colour(data.colours[s]) })),
        },
        options: { maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, ticks: { precision: 0 } } } },
      });
      const [categories, perCategory] = pairs(data.by_category, names.category);
      bar("chart-category", categories, perCategory, { extra: { indexAxis: "y" } });
      const [channels, perChannel] = pairs(data.by_channel, names.channel);
      bar("chart-channel", channels, perChannel, {});
      const [kotas, perKota] = pairs(data.by_kota, names.kota);
      bar("chart-kota", kotas, perKota, {});
      const units = data.sla.slice().sort((a, b) => b.within + b.late - a.within - a.late).slice(0, 15);
      bar("chart-sla", units.map((u) => u.unit), units.map((u) => u.share || 0),
          { colours: units.map((u) => colour((u.share || 0) >= 80 ? "green" : (u.share || 0) >= 50 ? "yellow" : "red")),
            extra: { indexAxis: "y", scales: { x: { min: 0, max: 100 } } } });
      bar("chart-ratings", ["1", "2", "3", "4", "5"], ["1", "2", "3", "4", "5"].map((k) => data.ratings[k] || 0),
          { colours: ["red", "red", "yellow", "green", "green"].map(colour) });
      box.dataset.ready = "1";
    })
    .catch(() => { box.dataset.ready = "error"; });
})();
