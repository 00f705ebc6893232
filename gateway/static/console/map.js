// The reports map: boundaries, clustered markers coloured by status; report text only via textContent.
// A report located only to a kelurahan comes with `approximate` (a point inside its kelurahan): its own marker
// style and the server's note in the popup.
(function () {
  var box = document.getElementById("map");
  if (!box) return;
  var map = L.map(box, {maxZoom: 18, minZoom: 9}).setView([-6.2, 106.83], 11);
  if (box.dataset.tileUrl) L.tileLayer(box.dataset.tileUrl, {attribution: box.dataset.tileAttribution}).addTo(map);
  fetch(box.dataset.boundaries, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (doc) {
    L.geoJSON(doc, {style: {color: "#555", weight: 1, fillOpacity: 0.05},
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name); }}).addTo(map);
  });
  var clusters = L.markerClusterGroup();
  fetch(box.dataset.reports, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (doc) {
    document.getElementById("map-unplaced").textContent = doc.without_location;
    var approximateCount = document.getElementById("map-approximate");
    if (approximateCount) approximateCount.textContent = doc.approximate || 0;
    doc.features.forEach(function (f) {
      var p = f.properties, c = f.geometry.coordinates;
      var kind = p.approximate ? " approximate" : "", size = p.approximate ? 18 : 14;
      var icon = L.divIcon({className: "", iconSize: [size, size],
        html: '<div class="report-marker' + kind + ' c-' + p.colour.replace(/[^a-z]/g, "") + '"></div>'});
      var popup = document.createElement("div");
      var link = document.createElement("a");
      link.href = "/console/cases/" + encodeURIComponent(p.ticket);
      link.textContent = p.ticket;
      popup.appendChild(link);
      [p.status_label, p.category, p.title].forEach(function (text) {
        var line = document.createElement("div"); line.textContent = text; popup.appendChild(line);
      });
      if (p.approximate) {
        var note = document.createElement("div");
        note.className = "approximate-note";
        note.textContent = p.note;
        popup.appendChild(note);
      }
      clusters.addLayer(L.marker([c[1], c[0]], {icon: icon, title: p.ticket}).bindPopup(popup));
    });
    map.addLayer(clusters);
    box.dataset.loaded = "1";
  });
})();
