/* The case page: the report's map (Leaflet, vendored) and the kelurahan search of the "fix location" form.
   No report text is inserted as HTML: everything goes through textContent or Leaflet's own escaping-free APIs. */
(function () {
  "use strict";

  function number(value) {
    return value === "" || value === undefined ? null : Number(value);
  }

  function showMap(box) {
    var lat = number(box.dataset.lat), lon = number(box.dataset.lon);
    var areaUrl = box.dataset.areaUrl, tiles = box.dataset.tileUrl;
    if ((lat === null || lon === null) && !areaUrl && !box.dataset.pick) {
      box.classList.add("empty");
      box.textContent = box.dataset.noMap;
      return;
    }
    var map = L.map(box, { scrollWheelZoom: false, attributionControl: Boolean(tiles) });
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: box.dataset.tileAttribution || "" }).addTo(map);
    }
    var point = lat !== null && lon !== null ? L.latLng(lat, lon) : null;
    if (point) {
      L.circleMarker(point, { radius: 9, color: "#b71c1c", weight: 3, fillColor: "#ef5350", fillOpacity: 0.9 })
        .addTo(map);
      map.setView(point, 16);
    } else {
      map.setView([-6.2, 106.83], 11);  // Jakarta
    }
    if (areaUrl) {
      fetch(areaUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (area) {
          if (!area || !area.features.length) { return; }
          var layer = L.geoJSON(area, { style: { color: "#1565c0", weight: 2, fillOpacity: 0.08 } }).addTo(map);
          box.dataset.areaShown = "1";
          if (point) {
            map.fitBounds(layer.getBounds().extend(point), { maxZoom: 17, padding: [12, 12], animate: false });
          } else {
            map.fitBounds(layer.getBounds(), { padding: [12, 12], animate: false });
          }
        });
    }
    if (box.dataset.pick) { pickOnClick(map); }
    window.addEventListener("load", function () { map.invalidateSize(); });  // the layout may settle after us
    box.dataset.ready = "1";
  }

  function pickOnClick(map) {
    var latField = document.getElementById("pin-lat"), lonField = document.getElementById("pin-lon");
    if (!latField || !lonField) { return; }
    var picked = null;
    map.on("click", function (event) {
      latField.value = event.latlng.lat.toFixed(6);
      lonField.value = event.latlng.lng.toFixed(6);
      if (picked) { picked.setLatLng(event.latlng); }
      else { picked = L.circleMarker(event.latlng, { radius: 8, color: "#2e7d32", weight: 3, fillOpacity: 0.6 }).addTo(map); }
      var details = latField.closest("details");
      if (details) { details.open = true; }
    });
  }

  function filterKelurahan() {
    var input = document.getElementById("kelurahan-filter"), select = document.getElementById("kelurahan-select");
    if (!input || !select) { return; }
    input.addEventListener("input", function () {
      var wanted = input.value.trim().toLowerCase(), first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var match = !wanted || option.textContent.toLowerCase().indexOf(wanted) !== -1;
        option.hidden = !match;
        if (match && first === null) { first = option; }
      });
      if (first) { first.selected = true; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("case-map");
    if (box && window.L) { showMap(box); }
    filterKelurahan();
  });
})();
