// Splitting a cluster along a drawn line and merging two adjacent clusters of one park, each
// through a dialog (#parts-modal) choosing the codes, names and admitted industries of the
// result: POST /clusters/{id}/split {line, parts: [left of the line as drawn, right]} and
// POST /clusters/{id}/merge {with, name, …}, conditional on the versions of every cluster involved.

import { request } from "../api.js";
import { hasRole } from "../auth.js";
import { t } from "../i18n.js";
import { autofocusDialog, esc, num, toast } from "../ui.js";
import { AdmitsChecklist } from "./admits.js";
import { reassignedText } from "./feedback.js";
import { pointInGeometry } from "./feature.js";
import { DRAW_STYLE, drawShape } from "./geoman.js";

/** Return [left, right]: points (L.LatLng) a little either side of the line's first segment whose
 * middle lies inside `geom`, left and right as the line was drawn (null when none is inside). */
function sidesOf(map, line, geom) {
  const pts = line.map((ll) => map.latLngToContainerPoint(ll));
  for (let i = 1; i < pts.length; i++) {
    const mid = pts[i - 1].add(pts[i]).divideBy(2);
    const llMid = map.containerPointToLatLng(mid);
    if (!pointInGeometry([llMid.lng, llMid.lat], geom)) continue;
    const d = pts[i].subtract(pts[i - 1]);
    const len = Math.hypot(d.x, d.y) || 1;
    const left = L.point(d.y / len, -d.x / len).multiplyBy(22); // screen y points down
    return [map.containerPointToLatLng(mid.add(left)), map.containerPointToLatLng(mid.subtract(left))];
  }
  return null;
}

/** Return a numbered marker ("1", "2") for a part of a split. */
function partMarker(latlng, n) {
  return L.marker(latlng, {
    interactive: false, keyboard: false,
    icon: L.divIcon({ className: "split-part-label", html: `<span>${n}</span>`, iconSize: [24, 24] }),
  });
}

/** ClusterEditor's methods for split and merge (mixed into its prototype). */
export const partsMethods = {
  /** Return the parts dialog's Bootstrap modal (wired on first use). */
  partsModal() {
    if (!this.partsModalObj) {
      const el = document.getElementById("parts-modal");
      this.partsEl = el;
      this.partsModalObj = window.bootstrap.Modal.getOrCreateInstance(el);
      el.querySelector("form").addEventListener("submit", (ev) => { ev.preventDefault(); this.partsSubmit(); });
      el.addEventListener("hidden.bs.modal", () => this.clearSplitLine());
      // split: the first part's code; merge: the neighbour to merge with
      autofocusDialog(el, () => el.querySelector(this.partsState.mode === "merge" ? "#parts-with" : "#part-1-code"));
    }
    return this.partsModalObj;
  },

  /** Remove the split line and its part numbers from the map. */
  clearSplitLine() {
    if (this.splitLayer) { this.map.removeLayer(this.splitLayer); this.splitLayer = null; }
  },

  /** Return the HTML of one part's fields (code, name, English name, kind) and admits box. */
  partFields(k, title, p, { code, codeFixed }) {
    return `<div class="col-md-6 part" data-part="${k}"><div class="fw-semibold mb-1">${esc(title)}</div>
      <div class="row g-2">
        <div class="col-6"><label class="form-label mb-0" for="part-${k}-code">${esc(t("cluster.code"))}</label>
          <input class="form-control form-control-sm" id="part-${k}-code" value="${esc(code)}" pattern="[a-z][a-z0-9_-]*" ${codeFixed ? "disabled" : ""} required></div>
        <div class="col-6"><label class="form-label mb-0" for="part-${k}-name">${esc(t("cluster.name"))}</label>
          <input class="form-control form-control-sm" id="part-${k}-name" value="${esc(p.name || "")}" required></div>
        <div class="col-12"><label class="form-label mb-0" for="part-${k}-name-en">${esc(t("cluster.name_en"))}</label>
          <input class="form-control form-control-sm" id="part-${k}-name-en" value="${esc(p.name_en || "")}"></div>
      </div><div class="mt-2" id="part-${k}-admits"></div></div>`;
  },

  /** Open the dialog with `parts` ([{props, code, codeFixed}]); `mode` split | merge. */
  openParts(mode, id, parts, { withChoices = null } = {}) {
    this.partsModal();
    this.partsState = { mode, id, parts, withChoices };
    this.renderParts();
    // show the cluster (and the neighbours to merge with) left of the dialog, which sits at the right
    const bounds = this.byId.get(id).getBounds();
    (withChoices || []).forEach((o) => bounds.extend(this.byId.get(o).getBounds()));
    const mapBox = this.map.getContainer().getBoundingClientRect();
    const hidden = Math.max(0, mapBox.right - (window.innerWidth - 820));
    this.map.fitBounds(bounds, { paddingTopLeft: [30, 60], paddingBottomRight: [Math.min(hidden + 30, mapBox.width * 0.6), 30], animate: false });
    this.partsModalObj.show();
  },

  /** Write the parts dialog in the current language (`keep`: the planner's entries so far). */
  renderParts(keep = null) {
    const { mode, id, parts, withChoices } = this.partsState;
    const el = this.partsEl;
    const name = this.nameOf(id);
    el.querySelector("#parts-modal-title").textContent = t(mode === "split" ? "parts.split_title" : "parts.merge_title", { name });
    el.querySelector("#parts-modal-text").textContent = t(mode === "split" ? "parts.split_text" : "parts.merge_text");
    el.querySelector("#parts-save").textContent = t(mode === "split" ? "parts.split_save" : "parts.merge_save");
    if (!keep) el.querySelector("#parts-modal-error").innerHTML = "";
    const withBox = el.querySelector("#parts-modal-with");
    withBox.innerHTML = withChoices ? `<label class="form-label mb-0" for="parts-with">${esc(t("parts.merge_with"))}</label>
      <select class="form-select form-select-sm" id="parts-with">${withChoices.map((o) => `<option value="${esc(o)}">${esc(this.nameOf(o))} · ${esc(num(this.byId.get(o).feature.properties.area_mu, 0))} ${esc(t("unit.mu"))}</option>`).join("")}</select>` : "";
    const titles = parts.map((p, k) => (mode === "split" ? t("parts.part", { n: k + 1 }) : t("parts.merged_as")));
    el.querySelector("#parts-modal-parts").innerHTML = parts.map((p, k) => this.partFields(k + 1, titles[k], p.props, p)).join("");
    this.partsAdmits = parts.map((p, k) => {
      const list = new AdmitsChecklist(el.querySelector(`#part-${k + 1}-admits`), `part-${k + 1}-adm`);
      list.render(p.props.admits ?? null, { set: p.props.admits != null });
      return list;
    });
    const withSel = withBox.querySelector("#parts-with");
    if (withSel) withSel.addEventListener("change", () => this.showMergePair());
    if (!keep) { this.showMergePair(); return; }
    if (keep.with && withBox.querySelector("#parts-with")) withBox.querySelector("#parts-with").value = keep.with;
    keep.parts.forEach((v, k) => {
      ["code", "name", "name-en"].forEach((f) => { el.querySelector(`#part-${k + 1}-${f}`).value = v[f]; });
      const list = this.partsAdmits[k];
      list.render(v.admits, { set: !v.unset });
      list.touched = v.touched;
      list.unset = v.unset;
      list.showState();
    });
    this.showMergePair();
  },

  /** Outline the cluster and the neighbour chosen to merge with (dashed, drawing colour). */
  showMergePair() {
    const sel = this.partsEl.querySelector("#parts-with");
    if (this.partsState.mode !== "merge" || !sel) return; // a split keeps its line
    this.clearSplitLine();
    const style = { ...DRAW_STYLE, pane: "recommend", dashArray: "6 4", fillOpacity: 0.15, className: "merge-pair" };
    this.splitLayer = L.featureGroup([this.partsState.id, sel.value].map((c) => L.geoJSON(this.byId.get(c).feature, { style })));
    this.splitLayer.addTo(this.map);
  },

  /** Write the open parts dialog again in the current language, keeping the planner's entries. */
  relabelParts() {
    if (!this.partsState || !this.partsEl.classList.contains("show")) return;
    const el = this.partsEl;
    const keep = {
      with: el.querySelector("#parts-with")?.value,
      parts: this.partsAdmits.map((list, k) => ({
        ...Object.fromEntries(["code", "name", "name-en"].map((f) => [f, el.querySelector(`#part-${k + 1}-${f}`).value])),
        admits: list.read(), touched: list.touched, unset: list.unset,
      })),
    };
    this.renderParts(keep);
  },

  /** Return part `k`'s fields from the dialog (admits only when changed). */
  readPart(k) {
    const el = this.partsEl;
    const v = (s) => el.querySelector(`#part-${k}-${s}`).value.trim();
    const out = { cluster_id: v("code"), name: v("name"), name_en: v("name-en") || null };
    // admits only when the planner changed them: otherwise the server keeps the cluster's own
    // (with their basis, 表8-1 or 本系统判断)
    const admits = this.partsAdmits[k - 1];
    if (admits.touched) out.admits = admits.read();
    return out;
  },

  /** Let the planner draw a line across cluster `id`, then open the split dialog. */
  async startSplit(id) {
    const layer = this.byId.get(id);
    if (!layer || !hasRole("planner")) return;
    if (this.edit) this.cancelEdit();
    this.select(id);
    this.editing = true;
    const line = await drawShape(this.map, "Line", { hint: t("draw.split_hint", { name: this.nameOf(id) }) });
    this.editing = false;
    if (!line) return;
    const latlngs = line.getLatLngs();
    this.clearSplitLine();
    this.splitLayer = L.featureGroup([L.polyline(latlngs, { ...DRAW_STYLE, pane: "recommend", dashArray: "8 4", className: "split-line" })]);
    const sides = sidesOf(this.map, latlngs, layer.feature.geometry);
    if (sides) sides.forEach((ll, k) => this.splitLayer.addLayer(partMarker(ll, k + 1)));
    this.splitLayer.addTo(this.map);
    this.splitLine = line.toGeoJSON(false).geometry;
    const p = layer.feature.properties || {};
    const base = { admits: p.admits ?? null };
    this.openParts("split", id, [
      { props: { ...base, name: p.name, name_en: p.name_en }, code: id, codeFixed: false },
      { props: { ...base, name: "", name_en: "" }, code: `${id}-2`, codeFixed: false },
    ]);
  },

  /** Open the merge dialog for cluster `id` (its neighbours of the same park to choose from). */
  openMerge(id) {
    const layer = this.byId.get(id);
    if (!layer || !hasRole("planner")) return;
    if (this.edit) this.cancelEdit();
    const choices = this.neighboursOf(id);
    if (!choices.length) { toast(t("parts.no_neighbours", { name: this.nameOf(id) }), "warn"); return; }
    const p = layer.feature.properties || {};
    this.openParts("merge", id, [{ props: p, code: id, codeFixed: true }], { withChoices: choices });
  },

  /** Send the dialog's split or merge; a refusal stays in the dialog. */
  async partsSubmit() {
    const { mode, id } = this.partsState;
    const el = this.partsEl;
    const btn = el.querySelector("#parts-save");
    const errBox = el.querySelector("#parts-modal-error");
    errBox.innerHTML = "";
    btn.disabled = true;
    try {
      if (mode === "split") await this.sendSplit(id);
      else await this.sendMerge(id, el.querySelector("#parts-with").value);
      this.partsModalObj.hide();
    } catch (err) {
      if (err.status === 412) { this.partsModalObj.hide(); this.showError(id, err); return; }
      errBox.innerHTML = `<div class="alert alert-danger small mb-0" role="alert"><b>${esc(t("cluster.refused"))}</b>
        <span id="parts-error">${esc(err.message || String(err))}</span>${err.hint ? `<div>${esc(err.hint)}</div>` : ""}</div>`;
    } finally {
      btn.disabled = false;
    }
  },

  /** POST the split of cluster `id` along the drawn line into the dialog's two parts. */
  async sendSplit(id) {
    const name = this.nameOf(id);
    const parts = [this.readPart(1), this.readPart(2)];
    const res = await request("POST", `/clusters/${encodeURIComponent(id)}/split`, {
      json: { line: this.splitLine, parts }, headers: { "If-Match": await this.etagFor(id) },
    });
    toast(t("parts.split_done", { name, a: parts[0].name, b: parts[1].name }) + reassignedText(res.data), "ok");
    this.clearAlert();
    await this.afterWrite(parts[0].cluster_id);
  },

  /** POST the merge of cluster `other` into cluster `id`, with the dialog's name and admits. */
  async sendMerge(id, other) {
    const a = this.nameOf(id);
    const b = this.nameOf(other);
    const fields = this.readPart(1);
    delete fields.cluster_id; // the merged cluster keeps this one's id
    const tags = [await this.etagFor(id), await this.etagFor(other)].join(", ");
    const res = await request("POST", `/clusters/${encodeURIComponent(id)}/merge`, {
      json: { with: other, ...fields }, headers: { "If-Match": tags },
    });
    toast(t("parts.merged", { a, b, name: fields.name || a }) + reassignedText(res.data), "ok");
    this.clearAlert();
    await this.afterWrite(id);
  },
};
