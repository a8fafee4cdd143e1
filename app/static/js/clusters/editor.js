// 组团 boundaries: shown on the map and listed in the 组团 tab; planners draw, edit and delete
// them with Leaflet.draw, edit their names, kind and admitted industries in a dialog, restore an
// old version and bring a deleted cluster back. ClusterEditor holds the state and wires the
// events; its methods live in one module per job and are mixed into its prototype:
//   display.js   loading, the map layers, the list, selection
//   draw.js      Leaflet.draw's tools: draw, edit, delete an outline
//   dialog.js    the create / edit dialog;  admits.js  its admitted-industries checklist
//   feedback.js  refused writes (422): the reason, the refused part drawn in red
//   conflict.js  versions and ETags; stale edits (412): keep mine, re-apply or take theirs
//   history.js   a cluster's versions, restore one;  deleted.js  deleted clusters, undelete
//   feature.js   plain functions on cluster Features (id, kinds, point in polygon)

import { onUserChange } from "../auth.js";
import { onLangChange, t } from "../i18n.js";
import { autofocusDialog, toast } from "../ui.js";
import { admitsMethods } from "./admits.js";
import { conflictMethods } from "./conflict.js";
import { deletedMethods } from "./deleted.js";
import { dialogMethods } from "./dialog.js";
import { displayMethods } from "./display.js";
import { drawMethods } from "./draw.js";
import { feedbackMethods } from "./feedback.js";
import { historyMethods } from "./history.js";

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
    this.editing = false;
    this.modalEl = document.getElementById("cluster-modal");
    this.modal = window.bootstrap.Modal.getOrCreateInstance(this.modalEl);
    this.editId = null; // the cluster the dialog edits (null: the dialog creates one)
    this.admitsTouched = false;
    this.admitsUnset = false;
    this.deleted = []; // deleted clusters (Features of GET /clusters/deleted), planners only
    this.deletedOpen = false; // the deleted list is expanded
    // set by the dialog and the refusal view (dialog.js, feedback.js)
    this.pendingSaved = false; // the pending layer was saved as a cluster
    this.pendingKeep = false; // the planner keeps the refused outline to edit it
    this.admitsDraft = false; // a kept draft re-opens with the planner's admits
    this.lastModeEdit = false; // the dialog last edited a cluster (its fields need emptying)
    this.problemLayer = null; // the refused part of an outline, drawn in red
    this.modalEl.querySelector("form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (this.editId) this.update(); else this.create();
    });
    // creating: the code first; editing (code fixed): the name
    autofocusDialog(this.modalEl, () => (this.editId ? this.modalEl.querySelector("form").name : this.modalEl.querySelector("form").code));
    this.modalEl.addEventListener("hidden.bs.modal", () => { this.dropPendingIfCancelled(); this.editId = null; });
    this.modalEl.querySelector("#cluster-keep-edit").addEventListener("click", () => {
      // Keep the refused outline as a draft: the user edits it, and saving the edit re-opens this form.
      this.pendingKeep = true;
      this.modal.hide();
      toast(t("cluster.keep_edit_hint"), "info");
    });
    map.on(L.Draw.Event.CREATED, (e) => this.onCreated(e.layer));
    map.on(L.Draw.Event.EDITED, (e) => e.layers.eachLayer((l) => this.onEdited(l)));
    map.on(L.Draw.Event.DELETED, (e) => e.layers.eachLayer((l) => this.onDeleted(l)));
    map.on(L.Draw.Event.EDITSTART, () => { this.editing = true; this.prefetchEtags(); });
    map.on(L.Draw.Event.EDITSTOP, () => { this.editing = false; });
    map.on(L.Draw.Event.DELETESTART, () => { this.editing = true; this.prefetchEtags(); });
    map.on(L.Draw.Event.DELETESTOP, () => { this.editing = false; });
    onUserChange(() => { this.updateDrawControl(); this.loadDeleted(); });
    onLangChange(() => { this.updateDrawControl(true); this.renderList(); this.renderDeleted(); this.restyle(); if (this.selected) this.showHistory(this.selected); });
  }
}

Object.assign(
  ClusterEditor.prototype,
  displayMethods, drawMethods, dialogMethods, admitsMethods, feedbackMethods, conflictMethods, historyMethods,
  deletedMethods,
);
