// Maps without a tile server: Leaflet on a plain background, optional basemaps from config.
// Layers (toggled in the switcher): management zones, each flight's photo footprints, the
// issues. Ledger coordinates are WGS-84; on a GCJ-02 or BD-09 basemap every overlay is
// redrawn shifted into that datum (datum.js), so it lands on the pictures.
// Data is text, never markup: Leaflet gets DOM nodes built with textContent (a string given
// to bindTooltip, bindPopup, an attribution or a layer name is parsed as HTML), and layer
// names that hold data are escaped first.
(function () {
  "use strict";
  const TYPE_COLOURS = { luanzhan: "#f97316", luancai: "#ca8a04", luandui: "#dc2626", luanjian: "#a21caf" };
  const STATUS_RING = { candidate: "#334155", confirmed: "#1d4ed8", assigned: "#4338ca",
    rectifying: "#b45309", rectified: "#0f766e", closed: "#15803d", false_positive: "#9ca3af" };
  const FOOTPRINT = { color: "#b7950b", weight: 1, fillColor: "#f1c40f", fillOpacity: 0.08 };
  const ZONE = { color: "#0ea5e9", weight: 1.5, dashArray: "6 4", fillColor: "#bae6fd", fillOpacity: 0.25 };
  const configNode = document.getElementById("map-config");
  const CONFIG = configNode ? JSON.parse(configNode.textContent) : { basemaps: [], names: {} };

  // An element holding ``value`` as text; ``tag`` and ``cls`` optional.
  function text(value, tag, cls) {
    const node = document.createElement(tag || "span");
    if (cls) node.className = cls;
    node.textContent = value == null ? "" : String(value);
    return node;
  }
  // ``value`` escaped for the places Leaflet takes HTML (layer names).
  function escaped(value) { return text(value).innerHTML; }

  // The basemap's attribution, as text (Leaflet's own control takes HTML).
  const Attribution = L.Control.extend({
    options: { position: "bottomright" },
    onAdd() { this._node = text(this.options.text, "div", "leaflet-control-attribution leaflet-control"); return this._node; },
    setText(value) { if (this._node) { this._node.textContent = value || ""; this._node.hidden = !value; } },
  });

  function tiles(spec) {
    const opts = { maxZoom: 22, maxNativeZoom: spec.maxNativeZoom, subdomains: spec.subdomains };
    const layer = spec.labels
      ? L.layerGroup([L.tileLayer(spec.url, opts), L.tileLayer(spec.labels, opts)])
      : L.tileLayer(spec.url, opts);
    layer.hehu = spec;
    return layer;
  }

  // A WGS-84 GeoJSON position in the datum of the basemap now shown.
  function converter(datum) {
    return (c) => { const p = window.hehuDatum.fromWgs84(datum, c[1], c[0]); return L.latLng(p[0], p[1]); };
  }

  // The map on ``el`` with its basemaps and an (empty) layer switcher; ``map.hehu`` adds overlays.
  function makeMap(el) {
    const map = L.map(el, { preferCanvas: true, zoomSnap: 0.25, attributionControl: false, maxZoom: 22 });
    const bases = {};
    const none = L.layerGroup();
    none.hehu = { datum: "wgs84", attribution: "" };
    CONFIG.basemaps.forEach((spec) => { bases[escaped(spec.name)] = tiles(spec); });
    bases[escaped(CONFIG.names.none || "-")] = none;
    const first = CONFIG.basemaps.length ? bases[escaped(CONFIG.basemaps[0].name)] : none;
    first.addTo(map);
    const attribution = new Attribution({ text: first.hehu.attribution }).addTo(map);
    attribution.setText(first.hehu.attribution);
    const control = L.control.layers(bases, {}, { collapsed: false, position: "topright" }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    map.createPane("zones").style.zIndex = 350;  // under every other overlay
    map.getPane("zones").style.pointerEvents = "none";
    const overlays = [];
    let datum = first.hehu.datum;
    // Draw (or redraw, after a datum change) one overlay from its GeoJSON.
    function draw(entry) {
      const old = entry.layer;
      const shown = !old || map.hasLayer(old);
      entry.layer = L.geoJSON(entry.data, Object.assign({ coordsToLatLng: converter(datum) }, entry.options));
      entry.layer.hehuName = entry.name;
      if (old) { control.removeLayer(old); map.removeLayer(old); }
      control.addOverlay(entry.layer, escaped(entry.name));
      if (shown && entry.visible !== false) entry.layer.addTo(map);
      entry.visible = true;
      return entry.layer;
    }
    map.on("baselayerchange", (e) => {
      datum = (e.layer.hehu && e.layer.hehu.datum) || "wgs84";
      attribution.setText(e.layer.hehu && e.layer.hehu.attribution);
      el.dataset.datum = datum;
      overlays.forEach(draw);
    });
    el.dataset.datum = datum;
    map.hehu = {
      // Add GeoJSON ``data`` as the overlay ``name`` (shown unless ``visible`` is false).
      add(name, data, options, visible) {
        const entry = { name, data, options: options || {}, visible, layer: null };
        overlays.push(entry);
        return draw(entry);
      },
      datum: () => datum,
      overlays,
    };
    el.hehuMap = map;  // for tests and the console
    return map;
  }

  function zones(map) {
    return fetch("/api/zones.geojson", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => {
        if (!data) return null;
        return map.hehu.add(CONFIG.names.zones, data, {
          interactive: false, pane: "zones", renderer: L.svg({ pane: "zones" }), style: ZONE,
        });
      })
      .catch(() => null);
  }

  // One overlay of photo footprints per flight; the ``shown`` newest are on at first.
  function footprints(map, shown) {
    return fetch("/api/flights.json", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : { flights: [] }))
      .then((data) => Promise.all(data.flights.filter((f) => f.footprints > 0).map((f, i) =>
        fetch("/api/footprints.geojson?flight=" + f.id, { credentials: "same-origin" })
          .then((r) => r.json())
          .then((geo) => map.hehu.add(CONFIG.names.footprints + " · " + f.name, geo, {
            style: FOOTPRINT,
            onEachFeature: (feat, l) => l.bindTooltip(text(feat.properties.name)),
          }, i < shown)))))
      .catch(() => []);
  }

  // Ground seen, coloured by the days since it was last seen, and the gaps (dashed grey).
  const AGE_STEPS = [[7, "#15803d"], [14, "#65a30d"], [30, "#ca8a04"], [90, "#ea580c"]];
  function ageColour(days) {
    const step = AGE_STEPS.find(([limit]) => days <= limit);
    return step ? step[1] : "#b91c1c";
  }
  const GAP = { color: "#334155", weight: 1.5, dashArray: "3 3", fillColor: "#94a3b8", fillOpacity: 0.35 };
  function coverage(map) {
    return fetch("/api/coverage.geojson", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => {
        if (!data) return [];
        const of = (layer) => ({ type: "FeatureCollection", features: data.features.filter((f) => f.properties.layer === layer) });
        const names = CONFIG.names;
        const seen = map.hehu.add(names.coverage, of("seen"), {
          style: (f) => ({ color: ageColour(f.properties.age_days), weight: 0.5,
            fillColor: ageColour(f.properties.age_days), fillOpacity: 0.35 }),
          onEachFeature: (f, l) => l.bindTooltip(text(f.properties.code + " · " + f.properties.last_seen
            + " · " + f.properties.age_days + " " + (names.days || ""))),
        });
        const gaps = map.hehu.add(names.gaps, of("gap"), {
          style: GAP, onEachFeature: (f, l) => l.bindTooltip(text(f.properties.code + " · " + f.properties.label)),
        });
        return [seen, gaps];
      })
      .catch(() => []);
  }

  function bounds(layers) {
    let b = null;
    layers.forEach((l) => {
      const lb = l && l.getBounds && l.getBounds();
      if (lb && lb.isValid()) b = b ? b.extend(lb) : L.latLngBounds(lb.getSouthWest(), lb.getNorthEast());
    });
    return b;
  }

  function fit(map, layer, fallback) {
    const b = bounds(Array.isArray(layer) ? layer : [layer]);
    if (b) map.fitBounds(b.pad(0.15), { maxZoom: 19 });
    else if (fallback) {
      const p = window.hehuDatum.fromWgs84(map.hehu.datum(), fallback[0], fallback[1]);
      map.setView(p, 17);
    } else map.setView([30, 114], 4);
  }

  // Issues as circle markers coloured by type, ringed by status.
  function issueMarker(f, latlng) {
    return L.circleMarker(latlng, {
      radius: 6, weight: 2, color: STATUS_RING[f.properties.status] || "#334155",
      fillColor: TYPE_COLOURS[f.properties.type] || "#64748b", fillOpacity: 0.9,
    });
  }

  // A flight's map from layers embedded in the page (a report: no server to fetch from).
  function flightMap(el, layers) {
    const map = makeMap(el);
    const names = CONFIG.names;
    const zoneLayer = map.hehu.add(names.zones, layers.zones, {
      interactive: false, pane: "zones", renderer: L.svg({ pane: "zones" }), style: ZONE,
    });
    const fp = map.hehu.add(names.footprints, layers.footprints, {
      style: FOOTPRINT, onEachFeature: (f, l) => l.bindTooltip(text(f.properties.name)),
    });
    const issues = map.hehu.add(names.issues, layers.candidates, {
      pointToLayer: issueMarker, onEachFeature: (f, l) => l.bindTooltip(text(f.properties.code)),
    });
    fit(map, layers.candidates.features.length ? [issues, fp] : [fp, zoneLayer]);
    el.dataset.ready = "1";
    return map;
  }

  window.hehuMaps = { TYPE_COLOURS, STATUS_RING, FOOTPRINT, makeMap, zones, footprints, coverage, ageColour, fit,
    text, flightMap };

  const flight = document.getElementById("flight-map");
  if (flight) flightMap(flight, JSON.parse(document.getElementById("flight-layers").textContent));

  // The map page: zones, footprints, and every issue of the chosen status as a circle marker.
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
  const issues = fetch("/api/issues.geojson?status=" + encodeURIComponent(status), { credentials: "same-origin" })
    .then((r) => r.json())
    .then((data) => {
      const count = document.getElementById("map-count");
      if (count) count.textContent = data.features.length;
      return data;
    });
  Promise.all([zones(map), coverage(map), footprints(map, 5), issues]).then(([zoneLayer, , fpLayers, data]) => {
    const layer = map.hehu.add(CONFIG.names.issues, data, {
      pointToLayer: issueMarker,
      onEachFeature: (f, l) => l.bindPopup(popup(f.properties)),
    });
    fit(map, data.features.length ? layer : [zoneLayer, ...fpLayers]);
    page.dataset.ready = "1";
  });
})();
