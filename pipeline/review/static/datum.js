// WGS-84 to the datums of Chinese web maps, for drawing ledger coordinates (WGS-84) on
// their tiles: GCJ-02 (高德/Amap, Tencent) and BD-09 (Baidu). The published formulas
// (the GCJ-02 offset polynomial on the Krasovsky ellipsoid; BD-09's rotation and offset),
// as pipeline/geo/coords.py has them; tests check both against the same reference points.
(function (root) {
  "use strict";
  const A = 6378245.0;  // Krasovsky 1940 semi-major axis, metres
  const EE = 0.00669342162296594323;  // its first eccentricity squared
  const X_PI = Math.PI * 3000.0 / 180.0;

  // The rough box inside which GCJ-02 applies (the one every common implementation uses).
  function inChina(lat, lon) {
    return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
  }

  function delta(lat, lon) {
    const x = lon - 105.0, y = lat - 35.0, xp = x * Math.PI, yp = y * Math.PI;
    const common = (20.0 * Math.sin(6.0 * xp) + 20.0 * Math.sin(2.0 * xp)) * 2.0 / 3.0;
    let dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
      + common + (20.0 * Math.sin(yp) + 40.0 * Math.sin(yp / 3.0)) * 2.0 / 3.0
      + (160.0 * Math.sin(yp / 12.0) + 320.0 * Math.sin(yp / 30.0)) * 2.0 / 3.0;
    let dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
      + common + (20.0 * Math.sin(xp) + 40.0 * Math.sin(xp / 3.0)) * 2.0 / 3.0
      + (150.0 * Math.sin(xp / 12.0) + 300.0 * Math.sin(xp / 30.0)) * 2.0 / 3.0;
    const rad = lat / 180.0 * Math.PI;
    const magic = 1.0 - EE * Math.sin(rad) * Math.sin(rad);
    const sqrtMagic = Math.sqrt(magic);
    dlat = dlat * 180.0 / ((A * (1.0 - EE)) / (magic * sqrtMagic) * Math.PI);
    dlon = dlon * 180.0 / (A / sqrtMagic * Math.cos(rad) * Math.PI);
    return [dlat, dlon];
  }

  // [lat, lon] WGS-84 -> GCJ-02 (unchanged outside China).
  function wgs84ToGcj02(lat, lon) {
    if (!inChina(lat, lon)) return [lat, lon];
    const d = delta(lat, lon);
    return [lat + d[0], lon + d[1]];
  }

  // [lat, lon] GCJ-02 -> BD-09 (unchanged outside China).
  function gcj02ToBd09(lat, lon) {
    if (!inChina(lat, lon)) return [lat, lon];
    const z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * X_PI);
    const theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI);
    return [z * Math.sin(theta) + 0.006, z * Math.cos(theta) + 0.0065];
  }

  // A WGS-84 [lat, lon] in the datum a basemap is drawn in ("wgs84", "gcj02", "bd09").
  function fromWgs84(datum, lat, lon) {
    if (datum === "gcj02") return wgs84ToGcj02(lat, lon);
    if (datum === "bd09") { const g = wgs84ToGcj02(lat, lon); return gcj02ToBd09(g[0], g[1]); }
    return [lat, lon];
  }

  root.hehuDatum = { inChina, wgs84ToGcj02, gcj02ToBd09, fromWgs84 };
})(window);
