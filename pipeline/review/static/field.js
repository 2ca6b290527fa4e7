// The field list: sort by distance from where the patroller stands, if the browser may
// tell (geolocation gives WGS-84, as the ledger stores); the server sorts, given ?lat&lon.
(function () {
  "use strict";
  const button = document.getElementById("field-locate");
  if (!button || !navigator.geolocation) return;
  button.addEventListener("click", () => {
    navigator.geolocation.getCurrentPosition((pos) => {
      const url = new URL(window.location.href);
      url.searchParams.set("lat", pos.coords.latitude.toFixed(6));
      url.searchParams.set("lon", pos.coords.longitude.toFixed(6));
      window.location.assign(url.toString());
    }, () => { button.disabled = true; }, { enableHighAccuracy: true, timeout: 10000 });
  });
})();
