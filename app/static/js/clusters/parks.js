// Which park a shape lies in, and the versions of a park's clusters: a new outline's park comes
// from where it is drawn (the park holding most of its vertices), never from a form default; a
// write whose neighbours follow names the version of every cluster of the park it was shown at.

import { get } from "../api.js";
import { clusterId, pointInGeometry } from "./feature.js";
import { vertices } from "./outline.js";

/** ClusterEditor's methods about parks (mixed into its prototype). */
export const parksMethods = {
  /** Return the park Features (GET /parks, read once). */
  async parkFeatures() {
    if (!this.parksCache) this.parksCache = get("/parks").then((fc) => fc.features || []).catch(() => null);
    const feats = await this.parksCache;
    if (!feats) this.parksCache = null;
    return feats || [];
  },

  /** Return the id of the park holding most vertices of GeoJSON `geom` (null: none holds any). */
  async parkAt(geom) {
    const pts = vertices(geom);
    let best = null;
    let most = 0;
    for (const f of await this.parkFeatures()) {
      const n = pts.filter((p) => pointInGeometry(p, f.geometry)).length;
      if (n > most) { most = n; best = f.id ?? f.properties.park_id ?? f.properties.id; }
    }
    return best;
  },

  /** Return the park id of cluster `id` (from its Feature). */
  parkOfCluster(id) {
    const l = this.byId.get(id);
    const p = l ? l.feature.properties || {} : {};
    return p.park ?? p.park_id ?? null;
  },

  /** Return the If-Match list of every cluster of `park` at the version the page shows (the
   * ETag read, else `"<id>-v<version>"`), leaving out `except`. */
  parkTags(park, except = null) {
    const tags = [];
    for (const [id, layer] of this.byId) {
      if (id !== except && this.parkOfCluster(id) === park && layer.version !== undefined) {
        tags.push(layer.etag && layer.etagVersion === layer.version ? layer.etag : `"${id}-v${layer.version}"`);
      }
    }
    return tags.join(", ");
  },

  /** Return the ids of the clusters whose outline touches or crosses cluster `id`'s (same park;
   * judged on shared vertices and vertices inside, enough for clusters that tile a park). */
  neighboursOf(id) {
    const layer = this.byId.get(id);
    if (!layer) return [];
    const mine = layer.feature.geometry;
    const key = (c) => `${c[0].toFixed(7)},${c[1].toFixed(7)}`;
    const own = new Set(vertices(mine).map(key));
    const bounds = layer.getBounds().pad(0.01);
    return [...this.byId.keys()].filter((o) => {
      if (o === id || this.parkOfCluster(o) !== this.parkOfCluster(id)) return false;
      const other = this.byId.get(o);
      if (!bounds.intersects(other.getBounds())) return false;
      return vertices(other.feature.geometry).some((c) => own.has(key(c)) || pointInGeometry(c, mine));
    }).sort((a, b) => clusterId(this.byId.get(a).feature).localeCompare(clusterId(this.byId.get(b).feature)));
  },
};
