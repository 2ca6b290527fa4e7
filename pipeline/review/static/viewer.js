// Full-frame viewer: the frame as a Leaflet image in its own pixels (CRS.Simple), pan by
// dragging, zoom by wheel or +/-; the sighting's box drawn over it; ← → (or J/K) step through
// the sightings. The picture is the server's large scaled copy; the box stays in the
// original's pixels because the image spans the original's width and height.
(function () {
  "use strict";
  const dialog = document.getElementById("viewer");
  if (!dialog || !window.L) return;
  const el = dialog.querySelector("#frame-viewer");
  const count = dialog.querySelector("#viewer-count");
  const cap = dialog.querySelector("#viewer-cap");
  let map = null, picture = null, frame = null, items = [], at = 0;

  function ensureMap() {
    if (map) return map;
    map = L.map(el, { crs: L.CRS.Simple, minZoom: -8, maxZoom: 3, zoomSnap: 0.25,
      zoomDelta: 0.5, keyboard: false, attributionControl: false });
    el.hehuMap = map;
    return map;
  }

  // Leaflet bounds of [x0, y0, x1, y1] pixels (y down in the picture, up in the map).
  function pixels(x0, y0, x1, y1) { return L.latLngBounds([[-y1, x0], [-y0, x1]]); }

  function place(item, img) {
    const size = item.size || [img.naturalWidth, img.naturalHeight];
    const whole = pixels(0, 0, size[0], size[1]);
    if (picture) map.removeLayer(picture);
    if (frame) { map.removeLayer(frame); frame = null; }
    picture = L.imageOverlay(img.src, whole).addTo(map);
    if (item.box) {
      frame = L.rectangle(pixels(...item.box), { color: "#facc15", weight: 2, fill: false, interactive: false }).addTo(map);
    }
    map.setMaxBounds(whole.pad(0.5));
    map.invalidateSize();
    map.fitBounds(whole);
    dialog.dataset.shown = String(at);
  }

  function show(i) {
    if (!items.length) return;
    at = (i + items.length) % items.length;
    const item = items[at];
    count.textContent = items.length > 1 ? (at + 1) + " / " + items.length : "";
    cap.textContent = item.caption || "";
    delete dialog.dataset.shown;
    ensureMap();
    const img = new Image();
    img.onload = () => { if (items[at] === item) place(item, img); };
    img.src = item.src;
  }

  function open(list, i) {
    items = list;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector("#viewer-prev").hidden = items.length < 2;
    dialog.querySelector("#viewer-next").hidden = items.length < 2;
    show(i || 0);
  }

  dialog.querySelector("#viewer-prev").addEventListener("click", () => show(at - 1));
  dialog.querySelector("#viewer-next").addEventListener("click", () => show(at + 1));
  dialog.querySelector("#viewer-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const act = {
      ArrowRight: () => show(at + 1), j: () => show(at + 1), n: () => show(at + 1),
      ArrowLeft: () => show(at - 1), k: () => show(at - 1), p: () => show(at - 1),
      "+": () => map.zoomIn(), "=": () => map.zoomIn(), "-": () => map.zoomOut(),
      0: () => picture && map.fitBounds(picture.getBounds()),
      b: () => frame && map.fitBounds(frame.getBounds().pad(2)),
    }[e.key];
    if (act) { e.preventDefault(); e.stopPropagation(); act(); }
  });

  window.hehuViewer = { open, show, current: () => at };
})();
