// Drawing, editing and deleting outlines with Leaflet.draw (planners only): the toolbar in the
// page's language, a drawn outline handed to the dialog (dialog.js), an edited outline saved
// conditionally on the version the page showed, a deleted one deleted the same way. A refused
// outline stays on the map, marked, so nothing the planner drew is lost.

import { request } from "../api.js";
import { hasRole } from "../auth.js";
import { pick, t } from "../i18n.js";
import { toast } from "../ui.js";
import { reassignedText } from "./feedback.js";

/** Leaflet.draw's texts in the current language (from the i18n dictionaries). */
function drawLocal() {
  const d = L.drawLocal;
  d.draw.toolbar.buttons.polygon = t("draw.polygon");
  d.draw.toolbar.buttons.rectangle = t("draw.rectangle");
  d.draw.toolbar.actions = { title: t("draw.cancel_title"), text: t("draw.cancel") };
  d.draw.toolbar.finish = { title: t("draw.finish_title"), text: t("draw.finish") };
  d.draw.toolbar.undo = { title: t("draw.undo_title"), text: t("draw.undo") };
  d.draw.handlers.polygon.tooltip = { start: t("draw.poly_start"), cont: t("draw.poly_cont"), end: t("draw.poly_end") };
  d.draw.handlers.rectangle.tooltip = { start: t("draw.rect_start") };
  d.draw.handlers.simpleshape.tooltip = { end: t("draw.rect_end") };
  d.edit.toolbar.actions.save = { title: t("draw.save_title"), text: t("draw.save") };
  d.edit.toolbar.actions.cancel = { title: t("draw.cancel_title"), text: t("draw.cancel") };
  d.edit.toolbar.actions.clearAll = { title: t("draw.clear_all_title"), text: t("draw.clear_all") };
  d.edit.toolbar.buttons = {
    edit: t("draw.edit"), editDisabled: t("draw.edit_none"), remove: t("draw.remove"), removeDisabled: t("draw.remove_none"),
  };
  d.edit.handlers.edit.tooltip = { text: t("draw.edit_text"), subtext: t("draw.edit_subtext") };
  d.edit.handlers.remove.tooltip = { text: t("draw.remove_text") };
}

/** ClusterEditor's methods for Leaflet.draw's tools (mixed into its prototype). */
export const drawMethods = {
  /** Show Leaflet.draw's toolbar to planners only (remade in the current language when `force`). */
  updateDrawControl(force = false) {
    const allowed = hasRole("planner");
    if (this.drawControl && (force || !allowed)) {
      this.map.removeControl(this.drawControl);
      this.drawControl = null;
    }
    if (allowed && !this.drawControl) {
      drawLocal();
      this.drawControl = new L.Control.Draw({
        position: "topleft",
        draw: {
          polygon: { allowIntersection: false, showArea: false, shapeOptions: { color: "#e040fb", weight: 3 } },
          rectangle: { showArea: false, shapeOptions: { color: "#e040fb", weight: 3 } },
          polyline: false, circle: false, marker: false, circlemarker: false,
        },
        edit: { featureGroup: this.group, remove: true, poly: { allowIntersection: false } },
      });
      this.map.addControl(this.drawControl);
    }
    this.renderList();
  },

  /** A planner drew a new outline: keep it as a draft and open the dialog to create the cluster. */
  onCreated(layer) {
    if (!hasRole("planner")) return;
    layer.draft = true;
    layer.setStyle({ color: "#e040fb", dashArray: "4 4", fillOpacity: 0.15 });
    this.group.addLayer(layer);
    this.openCreate(layer);
  },

  /** An outline was edited: a kept draft re-opens the dialog, a cluster's new outline is saved. */
  async onEdited(layer) {
    if (layer.draft) {
      this.openCreate(layer);
      return;
    }
    await this.save(layer.clusterId, layer.toGeoJSON(false).geometry);
  },

  /** PUT a new outline for cluster `id`, conditional on the version the page showed. */
  async save(id, geometry, { etag = null } = {}) {
    const layer = this.byId.get(id);
    try {
      const tag = etag || await this.etagFor(id);
      const props = layer ? layer.feature.properties : {};
      const res = await request("PUT", `/clusters/${encodeURIComponent(id)}`, {
        json: { geometry }, headers: tag ? { "If-Match": tag } : {},
      });
      toast(t("cluster.saved", { name: pick(props) || id }) + reassignedText(res.data), "ok");
      this.dropConflict(id);
      this.clearAlert();
      this.clearProblem();
      await this.afterWrite(id);
      return res;
    } catch (err) {
      // Keep the user's outline on the map (unsaved, marked) so nothing is lost.
      if (layer && err.status !== 412) {
        layer.setStyle({ color: "#d50000", dashArray: "3 3", weight: 3 });
        layer.unsaved = geometry;
      }
      if (err.status === 412) {
        err.mine = geometry;
      }
      this.showError(id, err);
      return null;
    }
  },

  /** A cluster was removed with the delete tool: DELETE it, conditional on the version shown. */
  async onDeleted(layer) {
    if (layer.draft) return;
    const id = layer.clusterId;
    try {
      const etag = await this.etagFor(id);
      const res = await request("DELETE", `/clusters/${encodeURIComponent(id)}`, { headers: etag ? { "If-Match": etag } : {} });
      toast(t("cluster.deleted", { name: pick(layer.feature.properties) || id }) + reassignedText(res.data), "ok");
      if (this.selected === id) {
        this.selected = null;
        this.root.querySelector("#cluster-history").innerHTML = "";
      }
      await this.afterWrite();
    } catch (err) {
      this.group.addLayer(layer); // not deleted: show it again
      this.showError(id, err);
    }
  },
};
