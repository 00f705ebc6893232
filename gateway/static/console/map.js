// The reports map: boundaries, clustered markers coloured by status; report text only via textContent.
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
    doc.features.forEach(function (f) {
      var p = f.properties, c = f.geometry.coordinates;
      var icon = L.divIcon({className: "", html: '<div class="report-marker c-' + p.colour.replace(/[^a-z]/g, "") + '"></div>', iconSize: [14, 14]});
      var popup = document.createElement("div");
      var link = document.createElement("a");
      link.href = "/console/cases/" + encodeURIComponent(p.ticket);
      link.textContent = p.ticket;
      popup.appendChild(link);
      [p.status_label, p.category, p.title].forEach(function (text) {
        var line = document.createElement("div"); line.textContent = text; popup.appendChild(line);
      });
      clusters.addLayer(L.marker([c[1], c[0]], {icon: icon}).bindPopup(popup));
    });
    map.addLayer(clusters);
  });
})();
