// The parcels taken by admitted projects (项目库 status 已准入): read from GET /projects?status=admitted,
// kept here for the parcel layer (a distinct outline), its tooltip, the parcel panel and the legend.

import { get } from "./api.js";
import { hasRole } from "./auth.js";

/** Outline of an admitted parcel on the map (and its legend swatch). */
export const ADMITTED_COLOR = "#6a1b9a";

let byParcel = new Map(); // parcel_id → {id, name} of the project admitted on it
const listeners = [];

/** Return the project admitted on `parcelId` ({id, name}), or null. */
export function admittedOf(parcelId) {
  return byParcel.get(parcelId) || null;
}

/** Call `fn()` whenever the admitted parcels were read again. */
export function onAdmittedChange(fn) {
  listeners.push(fn);
}

/** Read the admitted projects again and tell the listeners; returns the number of parcels taken.
 * Recorded projects are confidential (a signed-in user reads them): signed out, none are marked. */
export async function loadAdmitted() {
  const data = hasRole("viewer") ? await get("/projects", { params: { status: "admitted", limit: 1000 } }) : {};
  const next = new Map();
  for (const p of data.projects || []) {
    for (const id of (p.admission && p.admission.parcel_ids) || []) next.set(id, { id: p.id, name: p.name });
  }
  byParcel = next;
  listeners.forEach((fn) => fn());
  return next.size;
}
