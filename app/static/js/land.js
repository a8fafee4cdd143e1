// The land basis of a check (用地核算): the form's intensity hint written as the verdict writes it
// (the server's formula on the area the project would be granted, POST /check/land), the basis
// block above the rules, and the constrained parts and proposed split drawn on the map
// (river control zones, steep land and the part outside the parks hatched red; the granted
// piece blue, the remainder grey, the cut dashed).

import { request } from "./api.js";
import { lang, t } from "./i18n.js";
import { esc, num } from "./ui.js";

const HATCH_ID = "land-hatch";

/** Put the red hatch pattern the constrained parts are filled with into the page (once). */
function ensureHatch() {
  if (document.getElementById(HATCH_ID)) return;
  // parsed as HTML, the <svg> element gets the SVG namespace without naming it
  const holder = document.createElement("div");
  holder.innerHTML = `<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
    <pattern id="${HATCH_ID}" patternUnits="userSpaceOnUse" width="8" height="8" patternTransform="rotate(45)">
    <rect width="8" height="8" fill="rgba(211,47,47,0.18)"/>
    <line x1="0" y1="0" x2="0" y2="8" stroke="#d32f2f" stroke-width="3"/></pattern></defs></svg>`;
  document.body.appendChild(holder.firstElementChild);
}

const STYLES = {
  deduction: { color: "#b71c1c", weight: 2, fillOpacity: 1, className: "land-deduction" },
  granted: { color: "#0d47a1", weight: 3, dashArray: "6 4", fill: true, fillColor: "#1e88e5", fillOpacity: 0.35, className: "land-granted" },
  remainder: { color: "#424242", weight: 2, dashArray: "2 4", fill: true, fillColor: "#9e9e9e", fillOpacity: 0.35, className: "land-remainder" },
  cut: { color: "#212121", weight: 3, dashArray: "8 6", className: "land-cut" },
};

/** The land basis drawn on the map for the check shown. */
export class LandOverlay {
  constructor(map) {
    this.map = map;
    this.layer = L.featureGroup([], { pane: "recommend" });
  }

  clear() { this.layer.clearLayers(); }

  /** Draw `land.geometry` (a FeatureCollection in WGS 84); nothing when it has no features. */
  draw(land) {
    this.clear();
    const fc = land && land.geometry;
    if (!fc || !(fc.features || []).length) return;
    ensureHatch();
    L.geoJSON(fc, {
      pane: "recommend",
      interactive: false,
      style: (f) => STYLES[f.properties.role] || STYLES.deduction,
      onEachFeature: (f, layer) => {
        if (f.properties.role === "deduction") {
          layer.bindTooltip(`${f.properties.label} ${num(f.properties.area_mu, 2)} ${t("unit.mu")}`, { sticky: true });
        }
      },
    }).eachLayer((l) => this.layer.addLayer(l));
    if (!this.map.hasLayer(this.layer)) this.layer.addTo(this.map);
    this.map.fitBounds(this.layer.getBounds(), { padding: [80, 80], maxZoom: 17, animate: false });
  }
}

/** Return the 用地核算 block of a check's result (HTML; empty without a land basis). */
export function landBlock(land) {
  if (!land) return "";
  const parts = (land.deductions || []).map((d) => `<li class="land-part land-part-${esc(d.kind)}">${esc(d.label)}
    ${esc(num(d.area_mu, 2))} ${esc(t("unit.mu"))} (${esc(num(d.area_m2, 0))} m²)</li>`).join("");
  const split = land.split ? `<div class="small" id="land-split">${esc(t("land.split", {
    granted: num(land.split.granted_mu, 2), remainder: num(land.split.remainder_mu, 2),
  }))}</div>` : "";
  return `<div id="land-basis" class="land-basis small mb-2" data-basis="${esc(land.basis)}">
    <div class="fw-semibold">${esc(t("land.title"))}</div>
    <div id="land-areas">${esc(t("land.areas", {
      parcel: num(land.parcel_mu, 2), net: num(land.net_mu, 2), granted: num(land.granted_mu, 2), basis: land.basis_label,
    }))}</div>
    <div class="text-muted" id="land-reason">${esc(land.reason)}</div>
    ${parts ? `<ul class="land-parts mb-0" id="land-parts">${parts}</ul>` : ""}${split}</div>`;
}

/** The form's intensity hint: on the parcel chosen, the server's formulas (the verdict's own);
 * without a parcel, the figures on the declared land. */
export class IntensityHint {
  constructor(el) {
    this.el = el;
    this.timer = null;
    this.seq = 0;
  }

  /** Show the hint for `project` ({investment_wan, output_wan, land_mu}) on parcel `parcel`
   * (null: none chosen); `canAsk` says whether the user may ask the server. */
  update(project, parcel, canAsk) {
    clearTimeout(this.timer);
    const inv = project.investment_wan > 0 ? project.investment_wan : null;
    const out = project.output_wan > 0 ? project.output_wan : null;
    if (!inv && !out) { this.el.textContent = ""; return; }
    if (!parcel || !canAsk) { this.local(inv, out, project.land_mu); return; }
    if (this.shownLang !== lang()) this.el.textContent = ""; // never a hint in the other language
    const seq = ++this.seq;
    this.timer = setTimeout(async () => {
      try {
        const { data } = await request("POST", "/check/land", {
          json: { parcel_id: parcel, land_mu: project.land_mu > 0 ? project.land_mu : null, investment_wan: inv, output_wan: out, lang: lang() },
        });
        if (seq !== this.seq) return;
        const f = data.formulas || {};
        this.shownLang = lang();
        this.el.innerHTML = `${[f.investment_intensity, f.output_intensity].filter(Boolean).map((s) => `<div class="hint-formula">${esc(s)}</div>`).join("")}
          <div class="hint-basis">${esc(data.reason)}</div>`;
      } catch {
        if (seq === this.seq) this.local(inv, out, project.land_mu);
      }
    }, 300);
  }

  local(inv, out, land) {
    this.shownLang = lang();
    if (!(land > 0)) { this.el.textContent = ""; return; }
    const parts = [];
    if (inv) parts.push(t("land.formula_declared", { name: t("rule.investment_intensity"), amount: num(inv, 2), area: num(land, 2), value: num(inv / land, 2) }));
    if (out) parts.push(t("land.formula_declared", { name: t("rule.output_intensity"), amount: num(out, 2), area: num(land, 2), value: num(out / land, 2) }));
    this.el.innerHTML = parts.map((s) => `<div class="hint-formula">${esc(s)}</div>`).join("");
  }
}
