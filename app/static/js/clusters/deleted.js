// Deleted clusters (from the audit log), for planners: a collapsible list under the history, each
// with who deleted it and when, and a button that brings it back (undelete). A refused undelete
// (e.g. it now overlaps a cluster drawn since) is shown like any refused write.

import { get, request } from "../api.js";
import { hasRole } from "../auth.js";
import { pick, t } from "../i18n.js";
import { esc, fmtTime, num, toast } from "../ui.js";
import { clusterId } from "./feature.js";
import { reassignedText } from "./feedback.js";

/** ClusterEditor's methods for the deleted clusters (mixed into its prototype). */
export const deletedMethods = {
  /** Read the deleted clusters (GET /clusters/deleted) for a planner and list them. */
  async loadDeleted() {
    this.deleted = [];
    if (hasRole("planner")) {
      try {
        const fc = await get("/clusters/deleted");
        this.deleted = fc.features || [];
      } catch (err) {
        this.renderDeleted(err);
        return;
      }
    }
    this.renderDeleted();
  },

  /** Show the collapsible "已删除的组团" list: name, who deleted it and when, a restore button. */
  renderDeleted(err = null) {
    const box = this.root.querySelector("#cluster-deleted");
    if (!box) return;
    if (!hasRole("planner")) { box.innerHTML = ""; return; }
    const rows = this.deleted.map((f) => {
      const id = clusterId(f);
      const p = f.properties || {};
      const by = t("cluster.deleted_by", { who: p.deleted_by || t("cluster.someone"), when: fmtTime(p.deleted_at) });
      return `<li class="list-group-item d-flex align-items-center gap-2 deleted-item" data-id="${esc(id)}">
        <span class="flex-grow-1">${esc(pick(p) || id)} <span class="small text-muted">${esc(id)}</span>
          <div class="small text-muted deleted-by">${esc(by)}</div></span>
        <span class="small text-nowrap">${p.area_mu != null ? `${esc(num(p.area_mu, 0))} ${esc(t("unit.mu"))}` : ""}</span>
        <button type="button" class="btn btn-sm btn-outline-success undelete-btn" data-id="${esc(id)}">${esc(t("cluster.undelete"))}</button></li>`;
    });
    const body = err ? `<div class="alert alert-danger small">${esc(err.message || String(err))}</div>`
      : rows.length ? `<ul class="list-group list-group-flush small" id="cluster-deleted-list">${rows.join("")}</ul>`
        : `<div class="small text-muted">${esc(t("cluster.deleted_none"))}</div>`;
    const open = this.deletedOpen;
    box.innerHTML = `<button type="button" class="btn btn-link btn-sm px-0 ${open ? "" : "collapsed"}" id="cluster-deleted-toggle"
        data-bs-toggle="collapse" data-bs-target="#cluster-deleted-body" aria-expanded="${open}" aria-controls="cluster-deleted-body">
        <i class="fa-solid fa-trash-can-arrow-up"></i> ${esc(t("cluster.deleted_list"))}
        <span class="badge text-bg-secondary" id="cluster-deleted-count">${this.deleted.length}</span></button>
      <div class="collapse ${open ? "show" : ""}" id="cluster-deleted-body">${body}</div>`;
    const collapse = box.querySelector("#cluster-deleted-body");
    collapse.addEventListener("shown.bs.collapse", () => { this.deletedOpen = true; });
    collapse.addEventListener("hidden.bs.collapse", () => { this.deletedOpen = false; });
    box.querySelectorAll(".undelete-btn").forEach((b) => b.addEventListener("click", () => this.undelete(b.dataset.id)));
  },

  /**
   * Bring deleted cluster `id` back (POST /clusters/{id}/undelete): on success it is on the map
   * and in the list again; a refusal (e.g. it now overlaps a cluster drawn since) is shown with
   * its reason like any refused write, the overlapping part drawn in red.
   */
  async undelete(id) {
    const f = this.deleted.find((d) => clusterId(d) === id);
    const name = (f && pick(f.properties)) || id;
    if (!window.confirm(t("cluster.undelete_confirm", { name }))) return;
    try {
      const res = await request("POST", `/clusters/${encodeURIComponent(id)}/undelete`);
      const version = res.data && res.data.properties ? res.data.properties.version : "?";
      toast(t("cluster.undeleted", { name, version }) + reassignedText(res.data), "ok");
      this.clearAlert();
      this.clearProblem();
      await this.afterWrite();
      if (this.byId.has(id)) this.select(id, { zoom: true });
    } catch (err) {
      this.showError(id, err);
      // show where it was (and the refused part, drawn by showError)
      if (f && f.geometry) this.map.fitBounds(L.geoJSON(f.geometry).getBounds(), { padding: [30, 30], maxZoom: 17 });
    }
  },
};
