// Stale edits (412: someone saved first). Every write is conditional on the version the page
// showed (If-Match with its ETag, and those of the neighbours that follow an edge); a stale one
// keeps the user's outline next to the current one (orange, dashed) and offers to re-apply it
// (on the current versions) or to drop it for the current one.

import { ApiError, getWithEtag } from "../api.js";
import { t } from "../i18n.js";
import { esc, toast } from "../ui.js";

/** ClusterEditor's methods for versions and stale edits (mixed into its prototype). */
export const conflictMethods = {
  /** Read the ETags of the shown clusters (when editing starts), for the versions on the map. */
  async prefetchEtags() {
    await Promise.all([...this.byId.keys()].map((id) => this.etagFor(id).catch(() => null)));
  },

  /**
   * Return the ETag of cluster `id` at the version shown on the map. When the server has moved
   * on since the page read it, the edit is stale: raise the 412 the server would answer.
   */
  async etagFor(id) {
    const layer = this.byId.get(id);
    if (layer && layer.etag && layer.etagVersion === layer.version) return layer.etag;
    const { data, etag } = await getWithEtag(`/clusters/${encodeURIComponent(id)}`);
    const serverVersion = data.properties ? data.properties.version : undefined;
    if (layer && layer.version !== undefined && serverVersion !== undefined && serverVersion !== layer.version) {
      throw new ApiError(412, {
        error: "VersionConflictError", message: t("cluster.stale_message"), current_version: serverVersion, feature: data,
      }, "Precondition Failed");
    }
    if (layer) { layer.etag = etag; layer.etagVersion = serverVersion; }
    return etag;
  },

  /** Show a 412: the current outline from the server, the user's own kept beside it. */
  async showConflict(id, err) {
    let current = err.body && (err.body.feature || null);
    let etag = null;
    try {
      const r = await getWithEtag(`/clusters/${encodeURIComponent(id)}`);
      current = r.data;
      etag = r.etag;
    } catch { /* deleted meanwhile: keep what the 412 said */ }
    const old = this.byId.get(id);
    // mine: {geometry, neighbours} of the refused save, or an outline kept after a refusal
    const unsaved = old && old.unsaved ? { geometry: old.unsaved, neighbours: null } : null;
    const mine = err.mine || unsaved;
    // Show the current version as the cluster, and the user's outline as a draft beside it.
    await this.load();
    this.dropConflict(id);
    if (mine) {
      const draft = L.geoJSON({ type: "Feature", geometry: mine.geometry, properties: {} }, {
        pane: "clusters", interactive: false,
        style: { color: "#ff6d00", weight: 4, dashArray: "2 7", fillColor: "#ff6d00", fillOpacity: 0.22, className: "conflict-mine" },
      }).addTo(this.map);
      draft.bindTooltip(() => esc(t("cluster.mine_label")), { permanent: true, direction: "center", className: "conflict-mine-label" });
      this.conflicts.set(id, { mine, layer: draft, etag });
    }
    const who = current && current.properties ? current.properties.updated_by : null;
    const version = current && current.properties ? current.properties.version : "?";
    this.showAlert(() => `<div id="cluster-conflict"><b>${esc(t("cluster.stale_title"))}</b>
      <div>${esc(t("cluster.stale_text", { name: this.nameOf(id), version, who: who || t("cluster.someone") }))}</div>
      ${mine ? `<div class="mt-2 d-flex gap-2 flex-wrap">
        <button class="btn btn-sm btn-warning" id="conflict-reapply">${esc(t("cluster.reapply"))}</button>
        <button class="btn btn-sm btn-outline-secondary" id="conflict-discard">${esc(t("cluster.take_theirs"))}</button></div>` : ""}</div>`,
    "warning", (box) => {
      box.querySelector("#conflict-reapply")?.addEventListener("click", async () => {
        const c = this.conflicts.get(id);
        if (c) await this.save(id, c.mine.geometry, { etag: c.etag, neighbours: c.mine.neighbours });
      });
      box.querySelector("#conflict-discard")?.addEventListener("click", () => {
        this.dropConflict(id);
        this.clearAlert();
        toast(t("cluster.took_theirs"), "info");
      });
    });
    this.select(id);
    return null;
  },

  /** Remove the user's kept outline of a stale edit of cluster `id`, if any. */
  dropConflict(id) {
    const c = this.conflicts.get(id);
    if (c) {
      this.map.removeLayer(c.layer);
      this.conflicts.delete(id);
    }
  },
};
