// The cluster tools on the map (planners only), drawn with Leaflet-Geoman: draw a new cluster
// (handed to the dialog, dialog.js), edit the selected cluster's outline (edit.js), split it along
// a drawn line or merge it with a neighbour (parts.js), delete it. Every drawing snaps to parcel
// edges, roads, park boundaries and the other clusters shown on the map.

import { request } from "../api.js";
import { hasRole } from "../auth.js";
import { lang, pick, t } from "../i18n.js";
import { esc, toast } from "../ui.js";
import { reassignedText } from "./feedback.js";
import { DRAW_STYLE, drawShape, geomanDefaults, geomanLang } from "./geoman.js";

/** The tools: [id, icon, text id, needs a selected cluster]. */
const TOOLS = [
  ["tool-draw", "fa-draw-polygon", "draw.polygon", false],
  ["tool-edit", "fa-pen", "draw.edit", true],
  ["tool-split", "fa-scissors", "draw.split", true],
  ["tool-merge", "fa-object-group", "draw.merge", true],
  ["tool-delete", "fa-trash-can", "draw.remove", true],
];

/** ClusterEditor's methods for the map tools (mixed into its prototype). */
export const drawMethods = {
  /** Show the cluster tools to planners only (remade in the current language when `force`). */
  updateDrawControl(force = false) {
    const allowed = hasRole("planner");
    if (this.drawControl && (force || !allowed)) {
      this.map.removeControl(this.drawControl);
      this.drawControl = null;
    }
    if (!allowed && this.edit) this.cancelEdit();
    if (allowed && !this.drawControl) {
      geomanLang(this.map, lang());
      geomanDefaults(this.map);
      const editor = this;
      const Tools = L.Control.extend({
        options: { position: "topleft" },
        onAdd() {
          const div = L.DomUtil.create("div", "leaflet-bar cluster-tools");
          div.id = "cluster-tools";
          div.innerHTML = TOOLS.map(([id, icon, key]) => `<a href="#" role="button" id="${id}" title="${esc(t(key))}"
            aria-label="${esc(t(key))}"><i class="fa-solid ${icon}"></i></a>`).join("");
          L.DomEvent.disableClickPropagation(div);
          div.querySelectorAll("a").forEach((a) => a.addEventListener("click", (ev) => {
            ev.preventDefault();
            if (!a.classList.contains("leaflet-disabled")) editor.runTool(a.id);
          }));
          return div;
        },
      });
      this.drawControl = new Tools();
      this.map.addControl(this.drawControl);
      this.updateTools();
    }
    this.renderList();
  },

  /** Enable the tools that need a selected cluster only when one is selected. */
  updateTools() {
    const div = this.map.getContainer().querySelector("#cluster-tools");
    if (!div) return;
    for (const [id, , key, needs] of TOOLS) {
      const a = div.querySelector(`#${id}`);
      const off = needs && !(this.selected && this.byId.has(this.selected));
      a.classList.toggle("leaflet-disabled", off);
      a.title = off ? `${t(key)} · ${t("draw.select_first")}` : t(key);
    }
  },

  /** Run a tool of the bar. */
  runTool(id) {
    if (id === "tool-draw") this.drawNew();
    else if (id === "tool-edit") this.startEdit(this.selected);
    else if (id === "tool-split") this.startSplit(this.selected);
    else if (id === "tool-merge") this.openMerge(this.selected);
    else if (id === "tool-delete") this.deleteCluster(this.selected);
  },

  /** Let the planner draw a new cluster's outline, then open the dialog to create it. */
  async drawNew() {
    if (!hasRole("planner")) return;
    if (this.edit) this.cancelEdit();
    this.editing = true;
    const layer = await drawShape(this.map, "Polygon", { hint: t("draw.poly_hint") });
    this.editing = false;
    if (!layer) return;
    this.onCreated(L.polygon(layer.getLatLngs(), { ...DRAW_STYLE, pane: "clusters", pmIgnore: false }));
  },

  /** A planner drew a new outline: keep it as a draft and open the dialog to create the cluster. */
  onCreated(layer) {
    layer.draft = true;
    layer.setStyle({ color: "#e040fb", dashArray: "4 4", fillOpacity: 0.15 });
    this.group.addLayer(layer);
    this.openCreate(layer);
  },

  /** Edit a kept draft's outline (after a refusal); a button on the map re-opens the dialog. */
  editDraft(layer) {
    layer.pm.enable({ snappable: true, allowSelfIntersection: false });
    this.map.getContainer().querySelector("#draft-done")?.remove();
    const btn = L.DomUtil.create("button", "btn btn-sm btn-primary draft-done", this.map.getContainer());
    btn.id = "draft-done";
    btn.type = "button";
    btn.textContent = t("cluster.draft_done");
    L.DomEvent.disableClickPropagation(btn);
    btn.addEventListener("click", () => { btn.remove(); layer.pm.disable(); this.openCreate(layer); });
  },

  /** Delete cluster `id` after asking, conditional on the version shown. */
  async deleteCluster(id) {
    const layer = this.byId.get(id);
    if (!layer) return;
    const name = pick(layer.feature.properties) || id;
    if (!window.confirm(t("cluster.delete_confirm", { name }))) return;
    try {
      const etag = await this.etagFor(id);
      const res = await request("DELETE", `/clusters/${encodeURIComponent(id)}`, { headers: etag ? { "If-Match": etag } : {} });
      toast(t("cluster.deleted", { name }) + reassignedText(res.data), "ok");
      if (this.selected === id) {
        this.selected = null;
        this.root.querySelector("#cluster-history").innerHTML = "";
      }
      await this.afterWrite();
    } catch (err) {
      this.showError(id, err);
    }
  },
};
