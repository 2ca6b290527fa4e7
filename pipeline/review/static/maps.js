// Maps without a tile server: Leaflet on a plain background, optional basemap from config.
// Issue points coloured by 四乱 type; zone outlines and frame footprints give orientation.
// Data is text, never markup: Leaflet gets DOM nodes built with textContent (a string given
// to bindTooltip, bindPopup or an attribution is parsed as HTML).
(function () {
  "use strict";
  const TYPE_COLOURS = { luanzhan: "#f97316", luancai: "#ca8a04", luandui: "#dc2626", luanjian: "#a21caf" };
  const STATUS_RING = { candidate: "#334155", confirmed: "#1d4ed8", assigned: "#4338ca",
    rectifying: "#b45309", rectified: "#0f766e", closed: "#15803d", false_positive: "#9ca3af" };

  // An element holding ``value`` as text; ``tag`` and ``cls`` optional.
  function text(value, tag, cls) {
    const node = document.createElement(tag || "span");
    if (cls) node.className = cls;
    node.textContent = value == null ? "" : String(value);
    return node;
  }

  // The basemap's attribution, as text (Leaflet's own control takes HTML).
  const Attribution = L.Control.extend({
    options: { position: "bottomright" },
    onAdd() { return text(this.options.text, "div", "leaflet-control-attribution leaflet-control"); },
  });

  function makeMap(el) {
    const map = L.map(el, { preferCanvas: true, zoomSnap: 0.25, attributionControl: false, maxZoom: 22 });
    const url = el.dataset.basemap;
    if (url) {
      L.tileLayer(url, { maxZoom: 22, maxNativeZoom: 19 }).addTo(map);
      if (el.dataset.attribution) new Attribution({ text: el.dataset.attribution }).addTo(map);
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

  window.hehuMaps = { TYPE_COLOURS, STATUS_RING, makeMap, zones, fit, text };

  // The map page: every issue of the chosen status as a circle marker.
  const page = document.getElementById("issues-map");
  if (!page) return;
  const map = makeMap(page);
  const status = page.dataset.status || "open";
  // An issue's popup: its code as a link, type · status · confidence, river.
  function popup(p) {
    const box = document.createElement("div");
    const link = document.createElement("a");
    link.href = "/issues/" + encodeURIComponent(p.code);
    link.append(text(p.code, "b"));
    const conf = p.conf != null ? " · " + Math.round(p.conf * 100) + "%" : "";
    box.append(link, text(p.type_label + " · " + p.status_label + conf, "div"));
    if (p.river) box.append(text(p.river, "div"));
    return box;
  }
  zones(map);
  fetch("/api/issues.geojson?status=" + encodeURIComponent(status), { credentials: "same-origin" })
    .then((r) => r.json())
    .then((data) => {
      const layer = L.geoJSON(data, {
        pointToLayer: (f, latlng) => L.circleMarker(latlng, {
          radius: 6, weight: 2, color: STATUS_RING[f.properties.status] || "#334155",
          fillColor: TYPE_COLOURS[f.properties.type] || "#64748b", fillOpacity: 0.9,
        }),
        onEachFeature: (f, l) => l.bindPopup(popup(f.properties)),
      }).addTo(map);
      const count = document.getElementById("map-count");
      if (count) count.textContent = data.features.length;
      fit(map, layer);
    });
})();
