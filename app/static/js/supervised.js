// Parcels with a supervision case today (供后监管): read from GET /supervision (signed in), kept here
// for the parcel layer (a pink outline for idle land, dashed orange for overdue completion or
// production — colours the roads do not use),
// its tooltip and the legend.

import { get } from "./api.js";
import { hasRole } from "./auth.js";

/** Outline of an idle parcel (idle_not_started, idle_takeback, idle_stalled) and its legend swatch. */
export const IDLE_COLOR = "#e91e63";
/** Outline of a parcel overdue for completion or production (not_completed, not_producing, …). */
export const OVERDUE_COLOR = "#ff6d00";
/** Dash pattern of an overdue parcel's outline (an idle one is solid). */
export const OVERDUE_DASH = "8 4";
const IDLE_RULES = new Set(["idle_not_started", "idle_takeback", "idle_stalled"]);

let byParcel = new Map(); // parcel_id → {rule, status, enterprise, idle}
const listeners = [];

/** Return today's case on `parcelId` ({rule, status, enterprise, idle}), or null. An idle case wins. */
export function supervisedOf(parcelId) {
  return byParcel.get(parcelId) || null;
}

/** Return the outline of a supervised parcel ({color, dash}), or null. */
export function supervisedOutline(parcelId) {
  const c = byParcel.get(parcelId);
  if (!c) return null;
  return c.idle ? { color: IDLE_COLOR, dash: null } : { color: OVERDUE_COLOR, dash: OVERDUE_DASH };
}

/** Call `fn()` whenever the cases were read again. */
export function onSupervisedChange(fn) {
  listeners.push(fn);
}

/** Today's date as YYYY-MM-DD in the browser's time zone. */
export function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** Read today's cases again and tell the listeners; returns the number of parcels marked.
 * Cases are for signed-in users: signed out, none are marked. */
export async function loadSupervised() {
  const data = hasRole("viewer") ? await get("/supervision", { params: { as_of: today() } }) : {};
  const next = new Map();
  for (const c of data.cases || []) {
    const idle = IDLE_RULES.has(c.rule);
    for (const id of c.parcel_ids || []) {
      const had = next.get(id);
      if (!had || (idle && !had.idle)) next.set(id, { rule: c.rule, status: c.status, enterprise: c.enterprise, idle });
    }
  }
  byParcel = next;
  listeners.forEach((fn) => fn());
  return next.size;
}
