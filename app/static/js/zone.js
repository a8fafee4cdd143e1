// The zone as the API describes it (GET /zone): parks, clusters, positive list, classes, bbox;
// with look-ups by id and the colours the map gives classes, statuses and clusters.

import { get } from "./api.js";
import { pick, t } from "./i18n.js";

export const zone = {
  raw: null, id: null, crs: null, parks: [], clusters: [], industries: [], classes: [],
  criteria: [], admission: [], bbox: null, catchAll: null,
};

/** Suitability classes best first, with the map colour of each (and 排除 for excluded). */
export const CLASS_COLORS = ["#1a9641", "#a6d96a", "#fdd835", "#f28e2b", "#e15759", "#bdbdbd"];
export const EXCLUDED_COLOR = "#6d6d6d";
export const STATUS_COLORS = {
  existing: "#8c564b", vacant: "#2ca02c", reserved: "#ff9f1c", public: "#1f77b4",
};
const CLUSTER_PALETTE = [
  "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f",
  "#e15759", "#86bcb6", "#d37295", "#a0cbe8",
];

/** Load the zone description once; normalise the shapes this page relies on. */
export async function loadZone() {
  const z = await get("/zone");
  zone.raw = z;
  const info = z.zone && typeof z.zone === "object" ? z.zone : z;
  zone.id = info.id ?? z.id;
  zone.name = info.name ?? z.name;
  zone.name_en = info.name_en ?? z.name_en;
  zone.crs = info.crs ?? z.crs;
  zone.crs_proj4 = info.crs_proj4 ?? z.crs_proj4 ?? null;
  zone.parks = z.parks || [];
  zone.clusters = z.clusters || zone.parks.flatMap(
    (p) => (p.clusters || []).map((c) => ({ ...c, park: c.park ?? c.park_id ?? p.id })),
  );
  const pl = z.positive_list || {};
  zone.industries = pl.industries || z.industries || [];
  zone.catchAll = pl.catch_all || null;
  zone.admission = z.admission || [];
  const scoring = z.scoring || {};
  zone.classes = scoring.classes || z.classes || [];
  zone.criteria = scoring.criteria || z.criteria || [];
  zone.bbox = z.bbox || null;
  return zone;
}

export function parkOf(id) {
  return zone.parks.find((p) => p.id === id) || null;
}

export function clusterOf(id) {
  return zone.clusters.find((c) => c.id === id || c.cluster_id === id) || null;
}

/** Display name of a park id (falls back to the id). */
export function parkName(id) {
  const p = parkOf(id);
  return p ? pick(p) : id || "—";
}

/** Display name of a cluster id (falls back to the id). */
export function clusterName(id) {
  if (!id) return t("parcel.no_cluster");
  const c = clusterOf(id);
  return c ? pick(c) : id;
}

/** Display name of a positive-list branch (二级产业方向) given by its Chinese name; an industry's
 * name is found too; anything else is returned as it is. */
export function branchName(name) {
  for (const ind of zone.industries) {
    if (ind.name === name) return pick(ind);
    const b = (ind.branches || []).find((x) => x.name === name);
    if (b) return pick(b);
  }
  return name;
}

/** Map colour of a cluster id (stable: by its place in the zone's list, else a hash). */
export function clusterColor(id) {
  if (!id) return "#999999";
  let i = zone.clusters.findIndex((c) => c.id === id);
  if (i < 0) i = [...String(id)].reduce((a, ch) => (a * 31 + ch.charCodeAt(0)) >>> 0, 7);
  return CLUSTER_PALETTE[i % CLUSTER_PALETTE.length];
}

/** Map colour of a class name (优/良/… or excellent/good/…). */
export function classColor(name, excluded) {
  if (excluded) return EXCLUDED_COLOR;
  const i = zone.classes.findIndex((c) => c.name === name || c.name_en === name);
  return i < 0 ? "#cccccc" : CLASS_COLORS[Math.min(i, CLASS_COLORS.length - 1)];
}

/** The Leaflet bounds of the zone (bbox in WGS 84), or null. */
export function zoneBounds() {
  const b = zone.bbox;
  if (!b || b.length < 4) return null;
  return L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
}
