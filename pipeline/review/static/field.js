// Field checks on a phone.
// The list: sorted by distance from where the patroller stands, if the browser may tell
// (geolocation gives WGS-84, as the ledger stores); the server sorts, given ?lat&lon.
// The form: sent with fetch; without a network it is kept in IndexedDB (photo included)
// and sent when the connection returns, or when a field page next opens. Each form carries
// its own client_key, so a submission sent twice is recorded once.
(function () {
  "use strict";
  const button = document.getElementById("field-locate");
  if (button && navigator.geolocation) {
    button.addEventListener("click", () => {
      navigator.geolocation.getCurrentPosition((pos) => {
        const url = new URL(window.location.href);
        url.searchParams.set("lat", pos.coords.latitude.toFixed(6));
        url.searchParams.set("lon", pos.coords.longitude.toFixed(6));
        window.location.assign(url.toString());
      }, () => { button.disabled = true; }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }

  const STORE = "pending";
  function db() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open("hehu-field", 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "key" });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  function tx(mode, work) {
    return db().then((d) => new Promise((resolve, reject) => {
      const t = d.transaction(STORE, mode);
      const out = work(t.objectStore(STORE));
      t.oncomplete = () => resolve(out && out.result);
      t.onerror = () => reject(t.error);
    }));
  }
  const status = document.getElementById("field-queue");
  function say(text) { if (status) { status.textContent = text; status.hidden = !text; } }

  // Send one stored submission: true when the server answered for good (kept or refused).
  function send(entry) {
    const body = new FormData();
    Object.entries(entry.fields).forEach(([k, v]) => body.append(k, v));
    body.append("photo", entry.photo, entry.photoName);
    return fetch(entry.action, { method: "POST", body, credentials: "same-origin" })
      .then((r) => r.ok || (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 403));
  }
  function flush() {
    if (!window.indexedDB) return Promise.resolve(0);
    return tx("readonly", (s) => s.getAll()).then((entries) => entries.reduce((done, entry) =>
      done.then((n) => send(entry)
        .then((final) => (final ? tx("readwrite", (s) => s.delete(entry.key)).then(() => n + 1) : n))
        .catch(() => n)), Promise.resolve(0)))
      .then((sent) => {
        if (sent && status) { say(status.dataset.sent); document.body.dataset.flushed = String(sent); }
        return sent;
      });
  }

  const form = document.getElementById("field-form");
  if (form && window.fetch && window.indexedDB) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const photo = data.get("photo");
      const fields = {};
      data.forEach((v, k) => { if (k !== "photo") fields[k] = v; });
      const entry = { key: fields.client_key, action: form.action, fields, photo,
        photoName: photo && photo.name ? photo.name : "photo.jpg" };
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
        .then((r) => {
          if (r.ok) window.location.assign(r.url);
          else form.submit();  // the server's answer, as a plain form post shows it (nothing kept)
        })
        .catch(() => tx("readwrite", (s) => s.put(entry)).then(() => {
          say(status && status.dataset.queued);
          form.reset();
          document.body.dataset.queued = "1";
        }));
    });
  }
  window.addEventListener("online", flush);
  if (navigator.onLine !== false) flush();
})();
