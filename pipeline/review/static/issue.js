// Candidate page: map of the issue, full-frame viewer (viewer.js), keyboard shortcuts.
(function () {
  "use strict";
  const M = window.hehuMaps;
  const el = document.getElementById("issue-map");
  if (el && M) {
    const map = M.makeMap(el);
    const names = JSON.parse(document.getElementById("map-config").textContent).names;
    const data = JSON.parse(document.getElementById("issue-geo").textContent);
    const issue = data.features.find((f) => f.properties.kind === "issue");
    const colour = (issue && M.TYPE_COLOURS[issue.properties.type]) || "#dc2626";
    const frames = { type: "FeatureCollection", features: data.features.filter((f) => f.properties.kind === "frame") };
    const rest = { type: "FeatureCollection", features: data.features.filter((f) => f.properties.kind !== "frame") };
    M.zones(map).then(() => {
      const fp = map.hehu.add(names.frames, frames, {
        style: M.FOOTPRINT,
        onEachFeature: (f, l) => l.bindTooltip(M.text(f.properties.name)),
      });
      const layer = map.hehu.add(names.issues, rest, {
        style: { color: colour, weight: 2, fillOpacity: 0.15 },
        pointToLayer: (f, latlng) => f.properties.kind === "issue"
          ? L.circleMarker(latlng, { radius: 8, weight: 3, color: "#fff",
              fillColor: M.TYPE_COLOURS[f.properties.type] || "#1d4ed8", fillOpacity: 1 })
          : L.circleMarker(latlng, { radius: 3, weight: 1, color: colour, fillOpacity: 0.6 }),
      });
      M.fit(map, [layer, fp], issue ? [issue.geometry.coordinates[1], issue.geometry.coordinates[0]] : null);
      el.dataset.ready = "1";
    });
  }

  const viewer = document.getElementById("viewer");
  const sightingsNode = document.getElementById("sightings");
  const sightings = sightingsNode ? JSON.parse(sightingsNode.textContent) : [];
  document.querySelectorAll("[data-sighting]").forEach((node) => {
    node.addEventListener("click", (e) => {
      e.preventDefault();
      window.hehuViewer.open(sightings, Number(node.dataset.sighting));
    });
  });
  document.querySelectorAll("img[data-full]").forEach((img) => {
    img.addEventListener("click", () => {
      window.hehuViewer.open([{ src: img.dataset.full, caption: img.dataset.caption || "" }], 0);
    });
  });

  // The undo button of the decision just made on the previous issue, while it may be undone.
  const undoForm = document.getElementById("form-undo");
  if (undoForm) {
    let left = Math.floor(Number(undoForm.dataset.left));
    const span = undoForm.querySelector(".left");
    const tick = () => {
      if (left <= 0) { undoForm.remove(); return; }
      span.textContent = left + "s";
      left -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  }

  const reject = document.getElementById("form-reject");
  let armed = false;  // X pressed: the next digit picks a reason and rejects
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const tag = (e.target.tagName || "").toLowerCase();
    const typing = tag === "select" || tag === "textarea" ||
      (tag === "input" && !["radio", "checkbox", "submit", "button"].includes(e.target.type));
    if (typing) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    if (viewer && viewer.open) return;
    const click = (id) => { const n = document.getElementById(id); if (n) { e.preventDefault(); n.click(); } };
    const n = parseInt(e.key, 10);
    if (reject && n >= 1) {
      const radios = reject.querySelectorAll("input[name=reason]");
      if (n <= radios.length) {
        e.preventDefault();
        radios[n - 1].checked = true;
        if (armed) document.getElementById("do-reject").click();
        return;
      }
    }
    switch (e.key) {
      case "c": case "C": click("do-confirm"); break;
      case "z": case "Z": click("do-undo"); break;
      case "x": case "X":
        if (reject && (reject.querySelector("input[name=reason]:checked") ||
            reject.querySelector("input[name=reason_text]").value.trim())) click("do-reject");
        else if (reject) { e.preventDefault(); armed = true; reject.classList.add("armed"); }
        break;
      case "v": case "V": if (sightings.length) { e.preventDefault(); window.hehuViewer.open(sightings, 0); } break;
      case "j": case "n": click("next"); break;
      case "k": case "p": click("prev"); break;
      case "e": { const d = document.querySelector(".actions details"); if (d) { e.preventDefault(); d.open = true; d.querySelector("select, input, textarea").focus(); } break; }
      case "Escape":
        if (armed) { armed = false; reject.classList.remove("armed"); } else click("back");
        break;
      default: break;
    }
  });
})();
