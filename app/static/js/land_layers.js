// The map's land-use layers (issue 17), each off until switched on in the layer control:
// * 亩均效益评价分类 — every evaluated enterprise's parcels filled by its class (A–D; T exempt
//   apart) in the latest year with figures, from GET /evaluation/map;
// * 闲置/逾期地块 — the parcels with a supervision case on a date (today unless chosen in the
//   legend), styled by rule, from GET /supervision/map.
// Both are for signed-in users; a click opens a popup and selects the parcel. Their legends are
// written into the map legend by `legendHtml()` (with the date field of the supervision layer).

import { get } from "./api.js";
import { hasRole } from "./auth.js";
import { CLASS_COLORS, NO_CLASS_COLOR } from "./eval_classes.js";
import { lang, pick, t } from "./i18n.js";
import { esc, num, toast, toastError } from "./ui.js";
import { today } from "./supervised.js";

/** Outline and fill of each supervision rule: idle land in reds and pinks (solid), overdue
 * completion or production in oranges and browns (dashed). */
export const RULE_STYLES = {
  idle_takeback: { color: "#880e4f", dash: null },
  idle_not_started: { color: "#e91e63", dash: null },
  idle_stalled: { color: "#ba68c8", dash: null },
  not_completed: { color: "#ff6d00", dash: "8 4" },
  not_producing: { color: "#c49000", dash: "8 4" },
  under_committed: { color: "#6d4c41", dash: "3 4" },
};
/** The rules in the order the legend lists them (the order of the supervision list). */
const RULES = Object.keys(RULE_STYLES);
const CLASS_IDS = ["A", "B", "C", "D"];

function popupTable(rows) {
  return `<table class="table table-sm mb-0 popup-table">${rows
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("")}</table>`;
}

function illustrativeLine() {
  return `<div class="small text-secondary illustrative-note"><i class="fa-regular fa-square"></i> ${esc(t("supervision.illustrative"))}</div>`;
}

/** A layer read from `path` when shown (and again by `reload()`); `onPick(parcelId)` is called
 * when one of its parcels is clicked. */
class LandLayer {
  constructor(map, { path, pane, onPick, name }) {
    this.map = map;
    this.path = path;
    this.name = name;
    this.onPick = onPick || (() => {});
    this.group = L.featureGroup([], { pane });
    this.pane = pane;
    this.data = null; // the last FeatureCollection read
    this.group.on("add", () => this.reload());
  }

  params() { return {}; }

  /** Read the layer again (if shown) and draw it; resolves when drawn. */
  async reload() {
    if (!this.map.hasLayer(this.group)) return;
    if (!hasRole("viewer")) {
      this.data = null;
      this.group.clearLayers();
      toast(t("landmap.need_login"), "warn");
      this.map.fire("landlayer:drawn", { layer: this.name });
      return;
    }
    try {
      this.data = await get(this.path, { params: this.params() });
    } catch (err) {
      this.data = null;
      toastError(err, t("layers.load_failed", { layer: t(`layer.${this.name}`) }));
    }
    this.draw();
  }

  draw() {
    this.group.clearLayers();
    if (this.data) {
      L.geoJSON(this.data, {
        pane: this.pane,
        style: (f) => this.style(f.properties),
        onEachFeature: (f, layer) => {
          layer.feature = f;
          layer.bindPopup(() => this.popup(f.properties), { maxWidth: 360 });
          layer.on("click", () => this.onPick(f.properties.parcel_id));
        },
      }).eachLayer((l) => this.group.addLayer(l));
    }
    this.map.fire("landlayer:drawn", { layer: this.name });
  }
}

/** 亩均效益评价分类: parcels filled by their enterprise's class. */
export class EvaluationLayer extends LandLayer {
  constructor(map, opts = {}) {
    super(map, { path: "/evaluation/map", pane: "landuse", name: "evaluation", ...opts });
  }

  style(p) {
    const fill = p.class ? CLASS_COLORS[p.class] || NO_CLASS_COLOR : NO_CLASS_COLOR;
    // a heavy dark outline and an opaque fill: apart from the suitability colours beneath
    return { color: "#1b1b1b", weight: 2.5, fillColor: fill, fillOpacity: 0.92 };
  }

  className(id) {
    if (!id) return t("landmap.no_class");
    if (id === "T") return t("dash.class_t");
    const c = ((this.data && this.data.classes) || []).find((x) => x.id === id);
    return c ? `${id} ${pick(c)}` : id;
  }

  popup(p) {
    const year = this.data ? this.data.year : null;
    return `<b>${esc(p.enterprise)}</b> <span class="text-muted">${esc(p.parcel_id)}</span>${
      this.data && this.data.illustrative ? illustrativeLine() : ""}${popupTable([
      [t("landmap.year"), year],
      [t("dash.col.class"), this.className(p.class)],
      [t("dash.col.score"), p.score == null ? "—" : num(p.score, 2)],
      [t("dash.col.rank"), p.rank == null ? "—" : p.rank],
      [t("dash.col.group"), t(`dash.group.${p.scope}`)],
    ])}`;
  }

  /** The legend of the layer (HTML). */
  legendHtml(swatch) {
    const d = this.data;
    if (!d) return "";
    const title = d.year == null ? t("landmap.eval_none") : t("landmap.eval_title", { year: d.year });
    const items = d.year == null ? [] : [
      ...CLASS_IDS.map((c) => `<li>${swatch(CLASS_COLORS[c])}${esc(this.className(c))}</li>`),
      `<li>${swatch(CLASS_COLORS.T)}${esc(this.className("T"))}</li>`,
      `<li>${swatch(NO_CLASS_COLOR)}${esc(t("landmap.no_class"))}</li>`,
    ];
    return `<div class="legend-title">${esc(title)}</div>${
      d.illustrative ? `<div class="small text-secondary">${esc(t("supervision.illustrative"))}</div>` : ""}
      <ul class="legend-list" id="legend-evaluation">${items.join("")}</ul>`;
  }
}

/** 闲置/逾期地块: parcels with a supervision case on `asOf`, outlined and hatched by rule. */
export class SupervisionLayer extends LandLayer {
  constructor(map, opts = {}) {
    super(map, { path: "/supervision/map", pane: "landuse", name: "supervision", ...opts });
    this.asOf = today();
  }

  params() { return { as_of: this.asOf }; }

  /** Show the cases on `date` (YYYY-MM-DD). */
  setDate(date) {
    this.asOf = date || today();
    return this.reload();
  }

  style(p) {
    const s = RULE_STYLES[p.rule] || { color: "#000000", dash: null };
    return { color: s.color, weight: 3.5, dashArray: s.dash, fillColor: s.color, fillOpacity: 0.35 };
  }

  popup(p) {
    const action = t(`supervision.action.${p.action}`);
    const fee = p.fee_wan == null ? "" : t("supervision.fee", { fee: num(p.fee_wan, 2) });
    const parcels = (p.parcels || [p.parcel_id]).join(lang() === "zh" ? "、" : ", ");
    return `<b>${esc(p.enterprise)}</b>${p.illustrative ? illustrativeLine() : ""}${popupTable([
      [t("dash.col.rule"), t(`dash.rule.${p.rule}`)],
      [t("dash.col.parcels"), parcels],
      [t("dash.col.since"), p.since],
      [t("dash.col.overdue"), num(p.days_overdue, 0)],
      [t("dash.col.action"), `${action}${fee}`],
      [t("dash.col.deadline"), p.next_deadline || "—"],
    ])}`;
  }

  legendHtml(swatch) {
    const rules = new Set(((this.data && this.data.features) || []).map((f) => f.properties.rule));
    const items = RULES.map((r) => `<li data-rule="${r}" class="${rules.has(r) ? "" : "text-muted"}">${
      swatch(RULE_STYLES[r].color, { line: true, dash: !!RULE_STYLES[r].dash })}${esc(t(`dash.rule.${r}`))}</li>`);
    const n = this.data ? this.data.features.length : 0;
    return `<div class="legend-title">${esc(t("layer.supervision"))}</div>
      <div class="d-flex align-items-center gap-1 small mb-1"><label for="landmap-as-of">${esc(t("supervision.as_of"))}</label>
        <input type="date" class="form-control form-control-sm py-0" id="landmap-as-of" value="${esc(this.asOf)}"></div>
      ${this.data && !n ? `<div class="small text-muted">${esc(t("dash.supervision_none", { date: this.asOf }))}</div>` : ""}
      <ul class="legend-list" id="legend-supervision">${items.join("")}</ul>`;
  }

  /** Wire the legend's date field (after the legend is written). */
  bindLegend(div) {
    const input = div.querySelector("#landmap-as-of");
    if (input) input.addEventListener("change", () => { this.setDate(input.value).catch((err) => toastError(err)); });
  }
}
