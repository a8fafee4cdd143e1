// Land inside a park that no cluster holds (left when an outline shrank with no neighbour across
// the moved edge): read from the API after every load and drawn white with a red dashed edge above
// the parcels, labelled with its park and area in 亩, so a gap is never invisible.

import { ApiError, get } from "../api.js";
import { t } from "../i18n.js";
import { esc, num } from "../ui.js";
import { parkName } from "../zone.js";
import { MU_M2, areaM2 } from "./outline.js";

/** Where the API lists unassigned land (GeoJSON FeatureCollection, WGS 84). */
export const UNASSIGNED_PATH = "/unassigned";

/** The style of unassigned land. */
const STYLE = {
  pane: "recommend", color: "#c62828", weight: 2, dashArray: "4 4", fillColor: "#ffffff", fillOpacity: 0.4,
  className: "cluster-unassigned", interactive: true,
};

/** Parts at least this large (m²) carry a label on the map; smaller ones say it on hover. */
const LABEL_M2 = 500;

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
      const text = () => `${esc(t("cluster.unassigned", { park: parkName(p.park ?? p.park_id) }))} · ${esc(num(p.area_mu ?? m2 / MU_M2, 2))} ${esc(t("unit.mu"))}`;
      L.geoJSON(f, { style: STYLE }).eachLayer((l) => {
        l.bindTooltip(text, m2 >= LABEL_M2
          ? { permanent: true, direction: "center", className: "unassigned-label" } : { sticky: true });
        this.unassigned.addLayer(l);
      });
    }
  },
};
