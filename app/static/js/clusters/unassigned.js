// Land inside a park that no cluster holds (left when an outline shrank with no neighbour across
// the moved edge): read from the API after every load and drawn in grey, dashed, with its area in
// 亩 on hover, so a gap is never invisible.

import { ApiError, get } from "../api.js";
import { t } from "../i18n.js";
import { esc, num } from "../ui.js";
import { parkName } from "../zone.js";
import { MU_M2, areaM2 } from "./outline.js";

/** Where the API lists unassigned land (GeoJSON FeatureCollection, WGS 84). */
export const UNASSIGNED_PATH = "/unassigned";

/** The style of unassigned land. */
const STYLE = {
  pane: "clusters", color: "#616161", weight: 1.5, dashArray: "2 4", fillColor: "#9e9e9e", fillOpacity: 0.35,
  className: "cluster-unassigned", interactive: true,
};

/** ClusterEditor's methods for unassigned land (mixed into its prototype). */
export const unassignedMethods = {
  /** Read the unassigned land and draw it (nothing when the server has none to list). */
  async loadUnassigned() {
    if (!this.unassigned) {
      this.unassigned = L.featureGroup();
      this.unassigned.addTo(this.map);
    }
    this.unassigned.clearLayers();
    let fc;
    try {
      fc = await get(UNASSIGNED_PATH);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return;
      throw err;
    }
    for (const f of fc.features || []) {
      if (!f.geometry) continue;
      const p = f.properties || {};
      const m2 = p.area_m2 ?? areaM2(f.geometry);
      L.geoJSON(f, { style: STYLE }).eachLayer((l) => {
        l.bindTooltip(() => `${esc(t("cluster.unassigned", { park: parkName(p.park ?? p.park_id) }))} · ${esc(num(p.area_mu ?? m2 / MU_M2, 2))} ${esc(t("unit.mu"))}`,
          { sticky: true });
        this.unassigned.addLayer(l);
      });
    }
  },
};
