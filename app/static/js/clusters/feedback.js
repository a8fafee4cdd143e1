// What a refused write looks like: the server validates every write, and a refusal (422) is shown
// with its reason (composed in the page's language from the answer's `problem`) and the refused
// part drawn in red; nothing is saved. An outline crossing itself whose repair would change its
// area comes with the repaired outline (`repair`), drawn in dashed green with a button to save it.
// A stale edit (412) goes to the conflict view (conflict.js).

import { pick, t } from "../i18n.js";
import { esc, num, toast } from "../ui.js";
import { clusterOf, parkName } from "../zone.js";
import { MU_M2 } from "./outline.js";

/** Return the repair offered with a refused outline (`repair`: areas drawn and repaired, the
 * repaired outline in WGS 84), or null. */
export function repairOf(err) {
  const repair = err && err.body && typeof err.body === "object" ? err.body.repair : null;
  return repair && repair.geometry ? repair : null;
}

/**
 * Return the reason of a refused outline in the current language: composed from the 422's
 * `problem` (kind overlap | outside_park, the other cluster or park, area in m²) or `repair`
 * (an outline crossing itself whose repair changes its area), or the server's own (English)
 * message for a kind this page does not know.
 */
export function refusalText(err) {
  const problem = err && err.body && typeof err.body === "object" ? err.body.problem : null;
  const repair = repairOf(err);
  if (repair) {
    return t("cluster.problem_repair", { drawn: num(repair.area_m2_drawn, 1), repaired: num(repair.area_m2_repaired, 1) });
  }
  const m2 = problem ? Number(problem.area_m2) : NaN;
  const area = num(m2, 1);
  const mu = num(problem && problem.area_mu != null ? problem.area_mu : m2 / MU_M2, 2);
  if (problem && problem.kind === "overlap") return t("cluster.problem_overlap", { cluster: clusterName(problem.cluster), area, mu });
  if (problem && problem.kind === "outside_park") return t("cluster.problem_outside_park", { park: parkName(problem.park), area, mu });
  return err && err.message ? err.message : String(err);
}

/** Return cluster `id`'s name in the page's language (its code when the page does not know it). */
export function clusterName(id) {
  const c = clusterOf(id);
  return (c && pick(c)) || id;
}

/** Return whether the refusal was composed here (then the server's English hint is left out). */
export function refusalKnown(err) {
  const problem = err && err.body && typeof err.body === "object" ? err.body.problem : null;
  return Boolean(repairOf(err) || (problem && (problem.kind === "overlap" || problem.kind === "outside_park")));
}

/** Return " · n parcels re-assigned" for an EditResponse (empty when none moved). */
export function reassignedText(data) {
  const n = data && Array.isArray(data.reassigned) ? data.reassigned.length : 0;
  return n ? ` · ${t("cluster.reassigned", { n })}` : "";
}

/** ClusterEditor's methods that show a refused write (mixed into its prototype). */
export const feedbackMethods = {
  /**
   * Show `render()` (HTML in the current language) in the 组团 tab's alert box and switch to that
   * tab; `wire(box)` then adds the buttons' handlers. Both run again after a language switch.
   */
  showAlert(render, kind = "danger", wire = null) {
    this.alert = { render, kind, wire };
    this.renderAlert();
    document.querySelector('[data-bs-target="#tab-clusters"]')?.click();
  },

  /** Write the alert shown (showAlert) in the current language. */
  renderAlert() {
    const box = this.root.querySelector("#cluster-alert");
    if (!this.alert) { box.innerHTML = ""; return; }
    box.innerHTML = `<div class="alert alert-${this.alert.kind} small" role="alert">${this.alert.render()}</div>`;
    if (this.alert.wire) this.alert.wire(box);
  },

  /** Empty the 组团 tab's alert box. */
  clearAlert() {
    this.alert = null;
    this.renderAlert();
  },

  /** Draw the part of an outline the server refused (outside the park, or the overlap), or
   * the repaired outline it offers instead of one crossing itself, if given. */
  showProblem(err) {
    this.clearProblem();
    const repair = repairOf(err);
    if (repair) {
      this.problemLayer = L.geoJSON({ type: "Feature", geometry: repair.geometry, properties: {} }, {
        pane: "recommend", interactive: false,
        style: { color: "#2e7d32", weight: 3, dashArray: "6 4", fillColor: "#2e7d32", fillOpacity: 0.2, className: "cluster-repair" },
      }).addTo(this.map);
      return;
    }
    const problem = err && err.body && typeof err.body === "object" ? err.body.problem : null;
    if (!problem || !problem.geometry) return;
    this.problemLayer = L.geoJSON({ type: "Feature", geometry: problem.geometry, properties: {} }, {
      pane: "recommend", interactive: false,
      style: { color: "#d50000", weight: 2, fillColor: "#d50000", fillOpacity: 0.45, className: "cluster-problem" },
    }).addTo(this.map);
  },

  /** Remove the refused part drawn by showProblem, if any. */
  clearProblem() {
    if (this.problemLayer) {
      this.map.removeLayer(this.problemLayer);
      this.problemLayer = null;
    }
  },

  /** Show a refused write: the reason (and hint); 412 goes to the conflict view. */
  showError(id, err) {
    if (err.status === 412) return this.showConflict(id, err);
    this.showProblem(err);
    const known = refusalKnown(err);
    const repair = repairOf(err);
    const canRepair = repair && this.byId.has(id);
    this.showAlert(() => {
      const hint = err.hint && !known ? `<div>${esc(err.hint)}</div>` : "";
      const where = err.where && !known ? `<div class="text-muted">${esc(err.where)}</div>` : "";
      const accept = canRepair
        ? `<div class="mt-2"><button class="btn btn-sm btn-success" id="cluster-accept-repair">${esc(t("cluster.accept_repair"))}</button></div>` : "";
      return `<b>${esc(t("cluster.refused"))}</b> <span id="cluster-error-message">${esc(refusalText(err))}</span>${hint}${where}${accept}`;
    }, "danger", (box) => box.querySelector("#cluster-accept-repair")?.addEventListener("click", () => this.save(id, repair.geometry)));
    const text = refusalText(err);
    toast(`${t("cluster.refused")} ${text}`, "error", { hint: known ? null : err.hint });
    return null;
  },
};
