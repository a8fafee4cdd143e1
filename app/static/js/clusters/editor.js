// 组团 boundaries: shown on the map and listed in the 组团 tab; planners draw, edit (shared edges
// moving for both neighbours), split, merge and delete them with Leaflet-Geoman, edit their
// names, kind and admitted industries in a dialog, restore an old version and bring a deleted
// cluster back. ClusterEditor holds the state and wires the events; its methods live in one
// module per job and are mixed into its prototype:
//   display.js   loading, the map layers, the list, selection;  unassigned.js  unassigned land
//   geoman.js    Leaflet-Geoman set up (opt-in, snapping, texts), drawing a polygon or a line
//   draw.js      the map tools: draw a new cluster, edit, split, merge, delete the selected one
//   edit.js      editing one outline: simplified within a tolerance, neighbours following
//   outline.js   outlines in the zone CRS: simplify, area (plain functions)
//   parks.js     the park a shape lies in; the versions of a park's clusters; neighbours
//   parts.js     split along a line, merge two neighbours: their dialog
//   dialog.js    the create / edit dialog;  admits.js  its admitted-industries checklist
//   feedback.js  refused writes (422): the reason, the refused part drawn in red
//   conflict.js  versions and ETags; stale edits (412): keep mine, re-apply or take theirs
//   history.js   a cluster's versions, restore one;  deleted.js  deleted clusters, undelete
//   feature.js   plain functions on cluster Features (id, kinds, point in polygon)

import { onUserChange } from "../auth.js";
import { lang, onLangChange, t } from "../i18n.js";
import { autofocusDialog, toast } from "../ui.js";
import { admitsMethods } from "./admits.js";
import { conflictMethods } from "./conflict.js";
import { deletedMethods } from "./deleted.js";
import { dialogMethods } from "./dialog.js";
import { displayMethods } from "./display.js";
import { drawMethods } from "./draw.js";
import { editMethods } from "./edit.js";
import { feedbackMethods } from "./feedback.js";
import { geomanLang } from "./geoman.js";
import { historyMethods } from "./history.js";
import { parksMethods } from "./parks.js";
import { partsMethods } from "./parts.js";
import { unassignedMethods } from "./unassigned.js";

export class ClusterEditor {
  constructor({ map, root, parksLayer, onChanged }) {
    this.map = map;
    this.root = root;
    this.parksLayer = parksLayer;
    this.onChanged = onChanged || (() => {});
    this.group = L.featureGroup();
    this.byId = new Map();
    this.features = [];
    this.drawControl = null;
    this.pending = null; // the drawn, not yet saved layer of the create dialog
    this.conflicts = new Map(); // id → {mine: geometry, layer: L.GeoJSON}
    this.selected = null;
    this.editing = false; // a drawing or an outline edit is under way (clicks do not select)
    this.edit = null; // the outline being edited (edit.js): {id, layer, original, tol, dirty}
    this.tolerance = null; // the planner's simplification tolerance (m), once set
    this.modalEl = document.getElementById("cluster-modal");
    this.modal = window.bootstrap.Modal.getOrCreateInstance(this.modalEl);
    this.editId = null; // the cluster the dialog edits (null: the dialog creates one)
    this.admitsList = null; // the dialog's admits checklist (admits.js)
    this.deleted = []; // deleted clusters (Features of GET /clusters/deleted), planners only
    this.deletedOpen = false; // the deleted list is expanded
    // set by the dialog and the refusal view (dialog.js, feedback.js)
    this.pendingSaved = false; // the pending layer was saved as a cluster
    this.pendingKeep = false; // the planner keeps the refused outline to edit it
    this.admitsDraft = false; // a kept draft re-opens with the planner's admits
    this.lastModeEdit = false; // the dialog last edited a cluster (its fields need emptying)
    this.problemLayer = null; // the refused part of an outline, drawn in red
    this.alert = null; // the alert shown in the 组团 tab: {render, kind, wire} (feedback.js)
    this.modalEl.querySelector("form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (this.editId) this.update(); else this.create();
    });
    // creating: the code first; editing (code fixed): the name
    autofocusDialog(this.modalEl, () => (this.editId ? this.modalEl.querySelector("form").name : this.modalEl.querySelector("form").code));
    this.modalEl.addEventListener("hidden.bs.modal", () => { this.dropPendingIfCancelled(); this.editId = null; });
    this.modalEl.querySelector("#cluster-keep-edit").addEventListener("click", () => {
      // Keep the refused outline as a draft: the user edits it, and a button re-opens this form.
      const layer = this.pending;
      this.pendingKeep = true;
      this.modal.hide();
      toast(t("cluster.keep_edit_hint"), "info");
      if (layer) this.editDraft(layer);
    });
    onUserChange(() => { this.updateDrawControl(); this.loadDeleted(); });
    onLangChange(() => {
      geomanLang(this.map, lang());
      this.updateDrawControl(true);
      this.renderList();
      this.renderDeleted();
      this.restyle();
      this.renderAlert();
      // permanent labels: unassigned land, a stale edit's kept outline
      this.unassigned?.eachLayer((l) => l.getTooltip()?.update());
      this.conflicts.forEach((c) => c.layer.getTooltip()?.update());
      if (this.modalEl.classList.contains("show")) this.relabelDialog();
      this.relabelParts();
      if (this.edit) { this.showEditBar(); this.showEditCounts(); }
      if (this.selected) this.showHistory(this.selected);
    });
  }
}

Object.assign(
  ClusterEditor.prototype,
  displayMethods, drawMethods, editMethods, parksMethods, partsMethods, unassignedMethods, dialogMethods,
  admitsMethods, feedbackMethods, conflictMethods, historyMethods, deletedMethods,
);
