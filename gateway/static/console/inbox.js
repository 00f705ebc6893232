/* The inbox: new reports appear at the top without a reload, and the area selects narrow each other.
   Report text goes into the page with textContent only. */
(function () {
  "use strict";

  var table = document.getElementById("inbox-table");
  if (table) { startLiveRows(table); }
  narrowAreas();
  foldFiltersOnPhone();

  /* On a phone the filters start folded (unless some are in use): the list comes first. */
  function foldFiltersOnPhone() {
    var card = document.querySelector(".filters-card");
    if (card && card.dataset.collapseOnPhone === "1" && window.matchMedia("(max-width: 800px)").matches) {
      card.open = false;
    }
  }

  function startLiveRows(table) {
    if (table.dataset.live !== "1") { return; }
    var seconds = parseFloat(table.dataset.refreshSeconds) || 10;
    var afterId = parseInt(table.dataset.afterId, 10) || 0;
    var added = 0;
    var timer = window.setInterval(poll, seconds * 1000);

    function poll() {
      var url = table.dataset.liveUrl + "?" + (table.dataset.query ? table.dataset.query + "&" : "") + "after_id=" + afterId;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (response.status === 401 || response.status === 403 || response.status === 400) {
            window.clearInterval(timer);  // logged out or a bad filter: stop asking
            return null;
          }
          return response.ok ? response.json() : null;
        })
        .then(function (data) { if (data) { show(data); } })
        .catch(function () { /* offline for a moment: the next tick tries again */ });
    }

    function show(data) {
      var body = document.getElementById("inbox-rows");
      var rows = data.rows.slice().reverse();  // oldest first, each put on top: the newest ends first
      rows.forEach(function (row) {
        if (body.querySelector('tr[data-id="' + row.id + '"]')) { return; }
        var tr = buildRow(row);
        body.insertBefore(tr, body.firstChild);
        added += 1;
        window.setTimeout(function () { tr.classList.remove("fresh"); }, 6000);
      });
      afterId = Math.max(afterId, data.latest_id);
      document.getElementById("inbox-total").textContent = data.total_label;
      if (rows.length) {
        document.getElementById("inbox-empty").hidden = true;
        document.getElementById("inbox-new").textContent = table.dataset.newLabel.replace("{count}", added);
      }
    }
  }

  function buildRow(row) {
    var template = document.getElementById("inbox-row-template");
    var tr = template.content.firstElementChild.cloneNode(true);
    tr.dataset.id = row.id;
    tr.classList.add("fresh");
    function field(name) { return tr.querySelector('[data-f="' + name + '"]'); }
    var link = field("ticket");
    link.textContent = row.ticket;
    link.setAttribute("href", row.url);
    field("priority").hidden = row.priority !== "darurat";
    var chip = field("status");
    chip.textContent = row.status_label;
    chip.className = "chip c-" + row.status_colour;
    chip.dataset.status = row.status;
    ["category", "title", "place", "unit", "channel", "created"].forEach(function (name) {
      field(name).textContent = row[name];
    });
    field("place_short").textContent = row.place;
    field("review").hidden = !row.needs_review;
    field("reasons").textContent = row.review_reasons.join(", ");
    var sla = field("sla");
    sla.textContent = row.sla;
    sla.className = row.sla_class;
    return tr;
  }

  /* kota → kecamatan → kelurahan: each select offers only the areas inside the one chosen above it. */
  function narrowAreas() {
    var form = document.getElementById("inbox-filters");
    if (!form) { return; }
    var kota = form.querySelector('select[name="kota"]');
    var kecamatan = form.querySelector('select[name="kecamatan"]');
    var kelurahan = form.querySelector('select[name="kelurahan"]');
    function narrow(select, keep) {
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) { return; }
        var shown = keep(option);
        option.hidden = !shown;
        option.disabled = !shown;
        if (!shown && option.selected) { select.value = ""; }
      });
    }
    function update() {
      narrow(kecamatan, function (o) { return !kota.value || o.dataset.parent === kota.value; });
      narrow(kelurahan, function (o) {
        if (kecamatan.value) { return o.dataset.parent === kecamatan.value; }
        return !kota.value || o.dataset.kota === kota.value;
      });
    }
    kota.addEventListener("change", update);
    kecamatan.addEventListener("change", update);
    update();
  }
})();
