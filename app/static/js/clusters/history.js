// A cluster's history: its versions (who, when, area, note) listed under the list; a planner
// restores one, which makes a new version.

import { get, request } from "../api.js";
import { hasRole } from "../auth.js";
import { lang, pick, t, tOr } from "../i18n.js";
import { esc, fmtTime, num, toast } from "../ui.js";
import { reassignedText } from "./feedback.js";

/** ClusterEditor's methods for a cluster's history (mixed into its prototype). */
export const historyMethods = {
  /** List cluster `id`'s versions (GET /clusters/{id}/history), each restorable by a planner. */
  async showHistory(id) {
    const box = this.root.querySelector("#cluster-history");
    box.innerHTML = `<div class="text-muted small">${esc(t("panel.loading"))}</div>`;
    let versions;
    let currentVersion = null;
    try {
      const h = await get(`/clusters/${encodeURIComponent(id)}/history`);
      versions = Array.isArray(h) ? h : h.versions || [];
      currentVersion = Array.isArray(h) ? null : h.current_version;
    } catch (err) {
      box.innerHTML = `<div class="alert alert-danger small">${esc(err.message)}</div>`;
      return;
    }
    const layer = this.byId.get(id);
    if (currentVersion === null || currentVersion === undefined) currentVersion = layer ? layer.version : null;
    const canRestore = hasRole("planner");
    const rows = [...versions].sort((a, b) => b.version - a.version).map((v) => {
      const isCurrent = v.version === currentVersion;
      const when = v.at || v.timestamp || v.updated_at || v.created_at || "";
      const attrs = v.attrs || v.properties || {};
      const note = (lang() === "zh" ? v.note_zh : v.note_en) || v.note || "";
      return `<tr data-version="${v.version}" class="${isCurrent ? "table-primary" : ""}">
        <td class="text-nowrap">v${esc(v.version)}</td>
        <td class="text-nowrap">${esc(tOr(`action.${v.action}`, v.action || ""))}</td>
        <td class="small">${esc(v.user || "—")}<div class="text-muted">${esc(fmtTime(when))}</div></td>
        <td class="small">${attrs.area_mu != null ? `${esc(num(attrs.area_mu, 0))} ${esc(t("unit.mu"))}` : ""}${note ? `<div class="text-muted">${esc(note)}</div>` : ""}</td>
        <td class="text-end">${isCurrent ? `<span class="badge text-bg-primary">${esc(t("cluster.current"))}</span>`
          : canRestore && v.geometry && v.action !== "delete" && currentVersion !== null
            ? `<button class="btn btn-sm btn-outline-secondary restore-btn" data-version="${v.version}">${esc(t("cluster.restore"))}</button>` : ""}</td></tr>`;
    });
    const p = layer ? layer.feature.properties : {};
    const editBtn = canRestore && layer ? `<button class="btn btn-sm btn-outline-primary mb-2" id="cluster-edit-btn">
      <i class="fa-solid fa-pen-to-square"></i> ${esc(t("cluster.edit_attrs"))}</button>` : "";
    box.innerHTML = `${editBtn}<h6 class="panel-h">${esc(t("cluster.history_of", { name: pick(p) || id }))}</h6>
      <table class="table table-sm history-table"><thead><tr><th>${esc(t("cluster.version"))}</th><th>${esc(t("cluster.action"))}</th>
      <th>${esc(t("cluster.user"))} · ${esc(t("cluster.when"))}</th><th>${esc(t("cluster.area_note"))}</th><th></th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
    box.querySelectorAll(".restore-btn").forEach((b) => b.addEventListener("click", () => this.restore(id, Number(b.dataset.version))));
    box.querySelector("#cluster-edit-btn")?.addEventListener("click", () => this.openEdit(id));
  },

  /** Restore `version` of cluster `id` (POST /clusters/{id}/restore/{version}) after asking. */
  async restore(id, version) {
    if (!window.confirm(t("cluster.restore_confirm", { version }))) return;
    try {
      const etag = await this.etagFor(id);
      const res = await request("POST", `/clusters/${encodeURIComponent(id)}/restore/${version}`, { headers: etag ? { "If-Match": etag } : {} });
      toast(t("cluster.restored", { version }) + reassignedText(res.data), "ok");
      await this.afterWrite(id);
    } catch (err) {
      this.showError(id, err);
    }
  },
};
