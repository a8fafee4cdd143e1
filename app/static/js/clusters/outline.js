// Outlines measured and simplified in the zone's projected CRS (EPSG:4546 for Jiaokou, from
// GET /zone crs_proj4, through proj4js): plain functions on Leaflet lat/lng rings. An outline is
// simplified for editing (Douglas–Peucker within a tolerance in metres the planner sets); what
// is then shown is what is saved.

import { zone } from "../zone.js";

/** The tolerance (metres) an outline is simplified within when editing starts, until the planner
 * sets another in the edit bar: a tenth of the 5 m a 组团 boundary is drawn to on a 1:2000 控规. */
export const DEFAULT_TOLERANCE_M = 0.5;

/** m² in one 亩 (10000/15). */
export const MU_M2 = 10000 / 15;

let cached = null;

/** Return {fwd, inv}: [lng, lat] → [x, y] metres in the zone CRS and back (identity-free: throws
 * when the zone has no projected CRS, since then no length in metres can be given). */
export function projection() {
  if (cached && cached.def === zone.crs_proj4) return cached;
  if (!zone.crs_proj4 || !window.proj4) throw new Error("the zone has no projected CRS (GET /zone crs_proj4)");
  const p = window.proj4("EPSG:4326", zone.crs_proj4);
  cached = { def: zone.crs_proj4, fwd: (ll) => p.forward(ll), inv: (xy) => p.inverse(xy) };
  return cached;
}

/** Return the squared distance (m²) from point p to segment a–b (all [x, y]). */
function segDist2(p, a, b) {
  let [x, y] = a;
  let dx = b[0] - x;
  let dy = b[1] - y;
  if (dx !== 0 || dy !== 0) {
    const t = ((p[0] - x) * dx + (p[1] - y) * dy) / (dx * dx + dy * dy);
    if (t > 1) { [x, y] = b; } else if (t > 0) { x += dx * t; y += dy * t; }
  }
  dx = p[0] - x;
  dy = p[1] - y;
  return dx * dx + dy * dy;
}

/** The tolerance (metres) a vertex on the park boundary is simplified within, whatever the
 * planner's: an outline along the park edge must keep to it, as the server cuts off only slivers
 * thinner than 2 × 5 cm beyond the park (app.db.cluster_outline.SNAP_M) and refuses more. */
export const PARK_EDGE_TOLERANCE_M = 0.05;

/** Return the indices of `pts` ([x, y]) Douglas–Peucker keeps, point k within `tols[k]` metres of
 * the simplified line, first and last included, in order. */
function keepIndices(pts, tols) {
  const keep = new Uint8Array(pts.length);
  keep[0] = 1;
  keep[pts.length - 1] = 1;
  const stack = [[0, pts.length - 1]];
  while (stack.length) {
    const [i, j] = stack.pop();
    let worst = 1;
    let at = -1;
    for (let k = i + 1; k < j; k++) {
      const excess = segDist2(pts[k], pts[i], pts[j]) / (tols[k] * tols[k] || 1e-18);
      if (excess > worst) { worst = excess; at = k; }
    }
    if (at >= 0) {
      keep[at] = 1;
      stack.push([i, at], [at, j]);
    }
  }
  return [...keep.keys()].filter((k) => keep[k]);
}

/** Return the distance (m) from point `p` to the nearest segment of `rings` (arrays of [x, y]). */
function distanceToRings(p, rings) {
  let best = Infinity;
  for (const r of rings) {
    for (let i = 1; i < r.length; i++) best = Math.min(best, segDist2(p, r[i - 1], r[i]));
  }
  return Math.sqrt(best);
}

/** Return the rings ([x, y], zone CRS) of a GeoJSON Polygon / MultiPolygon in WGS 84. */
export function projectedRings(geom) {
  const { fwd } = projection();
  const polys = geom.type === "Polygon" ? [geom.coordinates] : geom.type === "MultiPolygon" ? geom.coordinates : [];
  return polys.flat().map((ring) => ring.map((c) => fwd(c)));
}

/**
 * Return ring `latlngs` (L.LatLng[], open: Leaflet's rings do not repeat the first vertex)
 * simplified within `tol` metres in the zone CRS — within PARK_EDGE_TOLERANCE_M where a vertex
 * lies on `edges` (the park's rings, projectedRings) — keeping at least 4 vertices (or all, when
 * the ring has fewer). The vertices kept are the ring's own, unmoved.
 */
export function simplifyRing(latlngs, tol, edges = []) {
  if (!(tol > 0) || latlngs.length <= 4) return latlngs.slice();
  const { fwd } = projection();
  const xy = latlngs.map((ll) => fwd([ll.lng, ll.lat]));
  const tols = xy.map((p) => (edges.length && distanceToRings(p, edges) < PARK_EDGE_TOLERANCE_M ? Math.min(tol, PARK_EDGE_TOLERANCE_M) : tol));
  // split the closed ring at its first vertex and the vertex farthest from it
  let far = 1;
  let best = -1;
  xy.forEach((p, k) => {
    const d = (p[0] - xy[0][0]) ** 2 + (p[1] - xy[0][1]) ** 2;
    if (d > best) { best = d; far = k; }
  });
  const first = keepIndices(xy.slice(0, far + 1), tols.slice(0, far + 1));
  const second = keepIndices([...xy.slice(far), xy[0]], [...tols.slice(far), tols[0]]).map((k) => k + far);
  const idx = [...first, ...second.slice(1, -1)];
  if (idx.length < 4) return latlngs.slice();
  return idx.map((k) => latlngs[k]);
}

/** Return Leaflet polygon lat/lngs (rings, or polygons of rings) simplified ring by ring. */
export function simplifyLatLngs(latlngs, tol, edges = []) {
  if (latlngs.length && Array.isArray(latlngs[0])) return latlngs.map((x) => simplifyLatLngs(x, tol, edges));
  return simplifyRing(latlngs, tol, edges);
}

/** Return the number of vertices of Leaflet polygon lat/lngs. */
export function vertexCount(latlngs) {
  if (!latlngs.length) return 0;
  return Array.isArray(latlngs[0]) ? latlngs.reduce((n, x) => n + vertexCount(x), 0) : latlngs.length;
}

/** Return a deep copy of Leaflet lat/lngs (new L.LatLng objects). */
export function copyLatLngs(latlngs) {
  return latlngs.map((x) => (Array.isArray(x) ? copyLatLngs(x) : L.latLng(x.lat, x.lng)));
}

/** Return the area (m², zone CRS) of a GeoJSON Polygon / MultiPolygon in WGS 84. */
export function areaM2(geom) {
  const { fwd } = projection();
  const ring = (r) => {
    let s = 0;
    const xy = r.map((c) => fwd(c));
    for (let i = 0, j = xy.length - 1; i < xy.length; j = i++) s += (xy[j][0] + xy[i][0]) * (xy[j][1] - xy[i][1]);
    return Math.abs(s) / 2;
  };
  const poly = (rings) => rings.reduce((a, r, k) => a + (k ? -ring(r) : ring(r)), 0);
  if (geom.type === "Polygon") return poly(geom.coordinates);
  if (geom.type === "MultiPolygon") return geom.coordinates.reduce((a, p) => a + poly(p), 0);
  return 0;
}

/** Return the [lng, lat] vertices of a GeoJSON geometry's outer rings / line. */
export function vertices(geom) {
  if (geom.type === "Polygon") return geom.coordinates[0];
  if (geom.type === "MultiPolygon") return geom.coordinates.flatMap((p) => p[0]);
  if (geom.type === "LineString") return geom.coordinates;
  return [];
}
