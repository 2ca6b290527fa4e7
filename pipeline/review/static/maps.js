// Maps without a tile server: Leaflet on a plain background, optional basemap from config.
// Issue points coloured by 四乱 type; zone outlines and frame footprints give orientation.
(function () {
  "use strict";
  const TYPE_COLOURS = { luanzhan: "#f97316", luancai: "#ca8a04", luandui: "#dc2626", luanjian: "#a21caf" };
  const STATUS_RING = { candidate: "#334155", confirmed: "#1d4ed8", assigned: "#4338ca",
    rectifying: "#b45309", rectified: "#0f766e", closed: "#15803d", false_positive: "#9ca3af" };

  function makeMap(el) {
    const map = L.map(el, { preferCanvas: true, zoomSnap: 0.25, attributionControl: false, maxZoom: 22 });
    const url = el.dataset.basemap;
    if (url) {
      L.tileLayer(url, { maxZoom: 22, maxNativeZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
      L.control.attribution({ prefix: false }).addTo(map);
    }
    L.control.scale({ imperial: false }).addTo(map);
    map.createPane("zones").style.zIndex = 350;  // under every other overlay
    map.getPane("zones").style.pointerEvents = "none";
    return map;
  }

  function zones(map) {
    return fetch("/api/zones.geojson", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => {
        if (!data || !data.features.length) return null;
        return L.geoJSON(data, {
          interactive: false,
          pane: "zones",
          renderer: L.svg({ pane: "zones" }),
          style: { color: "#0ea5e9", weight: 1, fillColor: "#bae6fd", fillOpacity: 0.25 },
        }).addTo(map);
      })
      .catch(() => null);
  }

  function fit(map, layer, fallback) {
    const b = layer && layer.getBounds && layer.getBounds();
    if (b && b.isValid()) map.fitBounds(b.pad(0.15), { maxZoom: 19 });
    else map.setView(fallback || [30, 114], fallback ? 17 : 4);
  }

  window.hehuMaps = { TYPE_COLOURS, STATUS_RING, makeMap, zones, fit };

  // The map page: every issue of the chosen status as a circle marker.
  const page = document.getElementById("issues-map");
  if (!page) return;
  const map = makeMap(page);
  const status = page.dataset.status || "open";
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  zones(map);
  fetch("/api/issues.geojson?status=" + encodeURIComponent(status), { credentials: "same-origin" })
    .then((r) => r.json())
    .then((data) => {
      const layer = L.geoJSON(data, {
        pointToLayer: (f, latlng) => L.circleMarker(latlng, {
          radius: 6, weight: 2, color: STATUS_RING[f.properties.status] || "#334155",
          fillColor: TYPE_COLOURS[f.properties.type] || "#64748b", fillOpacity: 0.9,
        }),
        onEachFeature: (f, l) => {
          const p = f.properties;
          l.bindPopup('<a href="/issues/' + encodeURIComponent(p.code) + '"><b>' + esc(p.code) + "</b></a><br>" +
            esc(p.type_label) + " · " + esc(p.status_label) + (p.conf != null ? " · " + Math.round(p.conf * 100) + "%" : "") +
            (p.river ? "<br>" + esc(p.river) : ""));
        },
      }).addTo(map);
      const count = document.getElementById("map-count");
      if (count) count.textContent = data.features.length;
      fit(map, layer);
    });
})();
