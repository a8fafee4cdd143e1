// The cluster dialog (#cluster-modal): creates a cluster from a drawn outline (code, park, kind,
// names), or edits an existing cluster's names and kind; its admits checklist is admits.js. A
// refusal stays in the dialog, which can keep the drawn outline as a draft to fix.

import { request } from "../api.js";
import { hasRole } from "../auth.js";
import { pick, t } from "../i18n.js";
import { esc, num, toast } from "../ui.js";
import { parkName, zone } from "../zone.js";
import { KINDS, clusterId } from "./feature.js";
import { MU_M2, areaM2 } from "./outline.js";
import { changedIds } from "./edit.js";
import { reassignedText, refusalKnown, refusalText, repairOf } from "./feedback.js";

/** Fill the dialog's park and kind choices in the current language, keeping what is chosen;
 * `choose`: a first "choose a park" option (a new cluster whose park is not known yet). */
function fillChoices(form, { choose }) {
  const park = form.park.value;
  const kind = form.kind.value;
  form.park.innerHTML = (choose ? `<option value="">${esc(t("cluster.park_choose"))}</option>` : "")
    + zone.parks.map((p) => `<option value="${esc(p.id)}">${esc(pick(p))}</option>`).join("");
  form.kind.innerHTML = KINDS.map((k) => `<option value="${k}">${esc(t(`kind.${k}`))}</option>`).join("");
  form.park.value = park;
  form.kind.value = kind || "industrial";
}

/** ClusterEditor's methods for the cluster dialog (mixed into its prototype). */
export const dialogMethods = {
  /** Write `id`'s text into the dialog now and again after a language switch (`render` returns
   * the HTML; null empties it and forgets it). */
  dialogText(id, render) {
    this.dialogTexts = this.dialogTexts || new Map();
    const el = this.modalEl.querySelector(`#${id}`);
    if (render) this.dialogTexts.set(id, render); else this.dialogTexts.delete(id);
    el.innerHTML = render ? render() : "";
  },

  /** Write the dialog's texts again in the current language (the language was switched). */
  relabelDialog() {
    const form = this.modalEl.querySelector("form");
    fillChoices(form, { choose: !this.editId });
    (this.dialogTexts || new Map()).forEach((render, id) => { this.modalEl.querySelector(`#${id}`).innerHTML = render(); });
    if (this.admitsList) this.admitsList.relabel();
  },

  /** Switch the dialog between creating (code and park editable) and editing cluster attributes. */
  setModalMode(form, editing) {
    const title = this.modalEl.querySelector("#cluster-modal-title");
    title.dataset.i18n = editing ? "cluster.edit_title" : "cluster.new_title";
    title.textContent = editing ? t("cluster.edit_title") : t("cluster.new_title");
    form.code.disabled = editing;
    form.park.disabled = editing;
  },

  /** Open the dialog to create a cluster from the drawn `layer` (its park guessed from its centre). */
  openCreate(layer) {
    this.pending = layer;
    this.pendingSaved = false;
    this.acceptedRepair = null; // a repaired outline the planner chose to send instead
    this.editId = null;
    const form = this.modalEl.querySelector("form");
    if (this.lastModeEdit) ["code", "name", "name_en"].forEach((k) => { form[k].value = ""; });
    this.lastModeEdit = false;
    this.setModalMode(form, false);
    // a draft kept after a refusal re-opens with the planner's choice of industries
    if (!this.admitsDraft) this.renderAdmits(null, { set: false });
    const geom = layer.toGeoJSON(false).geometry;
    form.park.value = "";
    fillChoices(form, { choose: true });
    form.park.value = "";
    this.dialogText("cluster-modal-park-note", null);
    this.parkAt(geom).then((park) => {
      if (this.pending !== layer) return;
      form.park.value = park || "";
      this.dialogText("cluster-modal-park-note", () => esc(park ? t("cluster.park_from_shape", { park: parkName(park) }) : t("cluster.park_none")));
    });
    this.dialogText("cluster-modal-error", null);
    form.querySelector("#cluster-keep-edit").classList.add("d-none");
    form.querySelector("#cluster-yield-row").classList.remove("d-none");
    const m2 = areaM2(geom);
    this.dialogText("cluster-modal-area", () => (m2 ? esc(t("cluster.drawn_area", { mu: num(m2 / MU_M2, 1), m2: num(m2, 0) })) : ""));
    this.modal.show();
  },

  /** When the dialog closes unsaved: drop the drawn outline, unless the planner keeps it to edit. */
  dropPendingIfCancelled() {
    if (this.pending && !this.pendingSaved && !this.pendingKeep) {
      this.group.removeLayer(this.pending);
      this.clearProblem();
    }
    this.admitsDraft = Boolean(this.pending && this.pendingKeep);
    this.pending = null;
    this.pendingKeep = false;
  },

  /** POST the dialog's new cluster with the drawn outline; a refusal stays in the dialog. */
  async create() {
    const form = this.modalEl.querySelector("form");
    const layer = this.pending;
    if (!layer) return;
    const errBox = form.querySelector("#cluster-modal-error");
    this.dialogText("cluster-modal-error", null);
    const props = {
      // no park chosen: the server takes the park the outline is drawn in
      cluster_id: form.code.value.trim(), park: form.park.value || null, name: form.name.value.trim(),
      name_en: form.name_en.value.trim() || null, kind: form.kind.value,
    };
    const body = { ...props, geometry: this.acceptedRepair || layer.toGeoJSON(false).geometry };
    if (this.admits().touched) body.admits = this.readAdmits();
    const btn = form.querySelector("button[type=submit]");
    btn.disabled = true;
    this.clearProblem();
    const follow = form.querySelector("#c-yield").checked;
    try {
      const headers = follow ? { "If-Match": this.parkTags(props.park) } : {};
      const { data } = await request("POST", "/clusters", { json: body, params: follow ? { neighbours: "yield" } : undefined, headers });
      this.pendingSaved = true;
      this.admitsDraft = false;
      this.group.removeLayer(layer);
      this.modal.hide();
      const id = (data && data.type === "Feature" && clusterId(data)) || props.cluster_id;
      const others = changedIds(data, id).map((o) => this.nameOf(o));
      toast(t("cluster.created", { name: props.name || id })
        + (others.length ? ` · ${t("cluster.neighbours_changed", { names: others.join("、") })}` : "") + reassignedText(data), "ok");
      this.clearAlert();
      await this.afterWrite(id);
    } catch (err) {
      const repair = repairOf(err);
      const problem = err.body && typeof err.body === "object" ? err.body.problem : null;
      this.dialogText("cluster-modal-error", () => {
        const hint = err.hint && !refusalKnown(err) ? `<div>${esc(err.hint)}</div>` : "";
        const accept = repair
          ? `<div class="mt-2"><button type="button" class="btn btn-sm btn-success" id="cluster-accept-repair">${esc(t("cluster.accept_repair"))}</button></div>` : "";
        const yieldHint = problem && problem.kind === "overlap" && !follow ? `<div id="cluster-yield-hint">${esc(t("cluster.yield_hint"))}</div>` : "";
        return `<div class="alert alert-danger small mb-0" role="alert"><b>${esc(t("cluster.refused"))}</b>
          <span id="cluster-create-error">${esc(refusalText(err))}</span>${hint}${yieldHint}${accept}</div>`;
      });
      // one listener on the box (it is re-written after a language switch)
      errBox.onclick = (ev) => {
        if (!ev.target.closest("#cluster-accept-repair")) return;
        this.acceptedRepair = repair.geometry; // sent as it is: the server takes it unchanged
        this.create();
      };
      form.querySelector("#cluster-keep-edit").classList.remove("d-none");
      this.showProblem(err);
    } finally {
      btn.disabled = false;
    }
  },

  /** Open the dialog on cluster `id`: its names, kind and admitted industries. */
  openEdit(id) {
    const layer = this.byId.get(id);
    if (!layer || !hasRole("planner")) return;
    if (this.pending) { this.group.removeLayer(this.pending); this.pending = null; }
    const p = layer.feature.properties || {};
    const form = this.modalEl.querySelector("form");
    this.editId = id;
    this.lastModeEdit = true;
    this.admitsDraft = false;
    this.setModalMode(form, true);
    fillChoices(form, { choose: false });
    form.park.value = p.park ?? p.park_id ?? "";
    form.kind.value = p.kind || "industrial";
    form.code.value = id;
    form.name.value = p.name || "";
    form.name_en.value = p.name_en || "";
    this.dialogText("cluster-modal-error", null);
    form.querySelector("#cluster-keep-edit").classList.add("d-none");
    form.querySelector("#cluster-yield-row").classList.add("d-none");
    this.dialogText("cluster-modal-park-note", null);
    this.dialogText("cluster-modal-area", () => (p.area_mu != null ? esc(t("cluster.area_is", { mu: num(p.area_mu, 1) })) : ""));
    this.renderAdmits(p.admits ?? null, { set: p.admits != null });
    this.modal.show();
  },

  /** PUT the dialog's changed attributes (and admits when touched) of the cluster being edited. */
  async update() {
    const id = this.editId;
    const layer = this.byId.get(id);
    if (!id || !layer) return;
    const form = this.modalEl.querySelector("form");
    this.dialogText("cluster-modal-error", null);
    const p = layer.feature.properties || {};
    const body = {};
    const name = form.name.value.trim();
    const nameEn = form.name_en.value.trim() || null;
    if (name && name !== p.name) body.name = name;
    if (nameEn !== (p.name_en || null)) body.name_en = nameEn;
    if (form.kind.value !== p.kind) body.kind = form.kind.value;
    if (this.admits().touched) body.admits = this.readAdmits();
    if (!Object.keys(body).length) { this.modal.hide(); return; }
    const btn = form.querySelector("button[type=submit]");
    btn.disabled = true;
    try {
      const etag = await this.etagFor(id);
      const res = await request("PUT", `/clusters/${encodeURIComponent(id)}`, { json: body, headers: etag ? { "If-Match": etag } : {} });
      this.modal.hide();
      toast(t("cluster.updated", { name: name || pick(p) || id }) + reassignedText(res.data), "ok");
      this.clearAlert();
      await this.afterWrite(id);
    } catch (err) {
      if (err.status === 412) { this.modal.hide(); this.showError(id, err); return; }
      this.dialogText("cluster-modal-error", () => `<div class="alert alert-danger small mb-0" role="alert"><b>${esc(t("cluster.refused"))}</b>
        <span id="cluster-create-error">${esc(refusalText(err))}</span>${err.hint && !refusalKnown(err) ? `<div>${esc(err.hint)}</div>` : ""}</div>`);
    } finally {
      btn.disabled = false;
    }
  },
};
