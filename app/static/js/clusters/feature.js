// What a cluster Feature is (its id, its kinds) and where a point lies: plain functions the other
// cluster modules share.

/** The kinds of cluster (组团类型) the dialog offers; their names are the texts `kind.<kind>`. */
export const KINDS = ["industrial", "public_service", "service", "reserve"];

/** Return the id the API uses for a cluster Feature. */
export function clusterId(f) {
  const p = f.properties || {};
  return f.id ?? p.cluster_id ?? p.id;
}

/** Return whether point [x, y] lies inside a GeoJSON Polygon / MultiPolygon (even-odd rule). */
export function pointInGeometry([x, y], geom) {
  const polys = geom.type === "Polygon" ? [geom.coordinates] : geom.type === "MultiPolygon" ? geom.coordinates : [];
  return polys.some((rings) => rings.reduce((inside, ring) => {
    let c = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
    }
    return c ? !inside : inside;
  }, false));
}
