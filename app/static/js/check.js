// 项目准入: the project form (industry / branch from the zone's positive list; every field a rule
// reads), the admission check on the selected parcel (each rule's verdict in a table; any signed-in
// user, nothing stored), saving the checked project to the register (保存到项目库, manager), admitting
// it after a confirmation that names the parcels and the capacity it takes (登记准入, manager; a
// reason is asked for when the verdict is 需复核) and the recommendation of fitting parcels and
// parcel groups, highlighted on the map with their rank.

import { download, request } from "./api.js";
import { hasRole, onUserChange, openLogin } from "./auth.js";
import { confirmDialog, factList } from "./confirm.js";
import { lang, onLangChange, pick, t, tOr } from "./i18n.js";
import { IntensityHint, LandOverlay, landBlock } from "./land.js";
import { esc, num, saveBlob, sourceText, statusBadge, toast, toastError, unitText } from "./ui.js";
import { clusterName, zone } from "./zone.js";

const NUMBER_FIELDS = [
  "investment_wan", "output_wan", "tax_wan", "land_mu", "water_m3_per_day", "power_kw",
  "waste_treatment_pct", "energy_tce_per_wan", "water_m3_per_wan",
];
/** An existing enterprise's expansion (现有企业扩建): what it has now, sent only when ticked. */
const EXISTING_FIELDS = ["existing_land_mu", "existing_investment_wan", "existing_output_wan"];

export class ProjectCheck {
  constructor({ map, form, results, getParcel, onPick, onAdmitted }) {
    this.map = map;
    this.onAdmitted = onAdmitted || (() => {});
    this.form = form;
    this.results = results;
    this.getParcel = getParcel;
    this.onPick = onPick;
    this.last = null; // {kind: "check" | "recommend", data}
    this.highlight = L.featureGroup([], { pane: "recommend" });
    this.landOverlay = new LandOverlay(map);
    this.hint = new IntensityHint(form.querySelector("#intensity-hint"));
    this.fillIndustries();
    this.fillParks();
    form.industry.addEventListener("change", () => this.fillBranches());
    form.is_expansion.addEventListener("change", () => {
      form.querySelector("#expansion-fields").classList.toggle("d-none", !form.is_expansion.checked);
    });
    form.addEventListener("submit", (ev) => { ev.preventDefault(); this.check(); });
    form.querySelector("#recommend-btn").addEventListener("click", () => this.recommend());
    form.querySelector("#clear-recommend-btn").addEventListener("click", () => this.clearHighlight());
    onLangChange((l) => {
      // the default project name follows the language unless the user typed one
      if (this.form.project_name.value === this.defaultName) this.form.project_name.value = t("check.default_name");
      this.defaultName = t("check.default_name");
      this.fillIndustries(true); this.fillParks(); this.updateAccess(); this.intensityHint();
      this.refresh(l);
    });
    onUserChange(() => {
      this.updateAccess();
      if (this.last && this.last.kind === "check") this.render();
    });
    form.addEventListener("input", () => this.intensityHint());
    this.defaultName = t("check.default_name");
    form.project_name.value = this.defaultName;
    this.updateAccess();
  }

  /** Show 投资强度 and 产出强度 as the check will compute them: on the chosen parcel, the area the
   * project would be granted (the server's land basis); without one, the declared land. */
  intensityHint() {
    const f = this.form;
    const n = (el) => (el.value.trim() === "" ? null : Number(el.value));
    this.hint.update({ investment_wan: n(f.investment_wan), output_wan: n(f.output_wan), land_mu: n(f.land_mu) },
      this.getParcel(), hasRole("viewer"));
  }

  fillIndustries(keep = false) {
    const sel = this.form.industry;
    const before = sel.value;
    const opts = zone.industries.map((i) => `<option value="${esc(i.name)}">${esc(pick(i))}</option>`);
    if (zone.catchAll) opts.push(`<option value="${esc(zone.catchAll.name)}">${esc(pick(zone.catchAll))}</option>`);
    sel.innerHTML = opts.join("");
    if (keep && before) sel.value = before;
    this.fillBranches(keep);
  }

  /** The park a project may name (只在指定园区选址); none by default. */
  fillParks() {
    const sel = this.form.project_park;
    const before = sel.value;
    sel.innerHTML = `<option value="">${esc(t("project.park_any"))}</option>${zone.parks.map((p) =>
      `<option value="${esc(p.id)}">${esc(pick(p))}</option>`).join("")}`;
    sel.value = before;
  }

  fillBranches(keep = false) {
    const sel = this.form.branch;
    const before = sel.value;
    const ind = zone.industries.find((i) => i.name === this.form.industry.value);
    const branches = ind ? ind.branches || [] : [];
    sel.innerHTML = `<option value="">${esc(t("check.branch_none"))}</option>${branches.map((b) => `<option value="${esc(b.name)}">${
      esc(pick(b))}${b.guidance && lang() === "zh" ? ` （${esc(b.guidance)}）` : ""}</option>`).join("")}`;
    if (keep && before) sel.value = before;
    else sel.value = ""; // no branch is pre-selected: the user chooses one (or none)
  }

  updateAccess() {
    const ok = hasRole("viewer"); // any signed-in user checks and recommends (nothing is stored)
    const note = this.form.querySelector("#check-access");
    note.innerHTML = ok ? "" : `${esc(t("check.need_manager"))} <a href="#" id="check-login">${esc(t("auth.login"))}</a>`;
    const link = note.querySelector("#check-login");
    if (link) link.addEventListener("click", (e) => { e.preventDefault(); openLogin(); });
    this.form.querySelector("#check-btn").disabled = !ok;
    this.form.querySelector("#recommend-btn").disabled = !ok;
    this.updateParcel();
  }

  /** Show which parcel the check applies to. */
  updateParcel() {
    const id = this.getParcel();
    const el = this.form.querySelector("#check-parcel");
    el.textContent = id ? id : t("check.no_parcel");
    el.classList.toggle("text-muted", !id);
    if (id !== this.hintParcel) { this.hintParcel = id; this.intensityHint(); }
  }

  /** Return the project of the form as the API expects it (numbers or null). */
  project() {
    const f = this.form;
    const p = { name: f.project_name.value.trim() || t("check.default_name"), industry: f.industry.value || null, branch: f.branch.value || null };
    for (const k of NUMBER_FIELDS) {
      const v = f[k].value.trim();
      p[k] = v === "" ? null : Number(v);
    }
    const om = f.online_monitoring.value;
    p.online_monitoring = om === "" ? null : om === "true";
    p.encouraged_description = f.encouraged_description.value.trim() || null;
    p.park = f.project_park.value || null;
    if (f.is_expansion.checked) {
      p.expansion_of = f.expansion_of.value.trim() || null;
      for (const k of EXISTING_FIELDS) {
        const v = f[k].value.trim();
        p[k] = v === "" ? null : Number(v);
      }
    }
    return p;
  }

  showError(err) {
    this.results.innerHTML = `<div class="alert alert-danger" id="check-error">${esc(err.message)}${
      err.hint ? `<div class="small">${esc(err.hint)}</div>` : ""}</div>`;
  }

  async check() {
    const id = this.getParcel();
    if (!id) { this.results.innerHTML = `<div class="alert alert-info">${esc(t("check.pick_parcel"))}</div>`; return; }
    this.results.innerHTML = `<div class="text-muted">${esc(t("check.running"))}</div>`;
    const project = this.project();
    try {
      const { data } = await request("POST", "/check", { json: { parcel_id: id, project, lang: lang() } });
      this.last = { kind: "check", data, parcel: id, project, lang: lang() };
      this.render();
    } catch (err) {
      this.showError(err);
    }
  }

  async recommend() {
    this.results.innerHTML = `<div class="text-muted">${esc(t("check.running"))}</div>`;
    const project = this.project();
    try {
      const { data } = await request("POST", "/recommend", { json: { project, top: 5, lang: lang() } });
      this.last = { kind: "recommend", data, project, lang: lang() };
      this.render();
      this.drawCandidates(data.candidates || []);
    } catch (err) {
      this.showError(err);
    }
  }

  /** Ask the API again for the result shown, in language `l` (its messages are written in the
   * language asked for): the same project and site, the check not recorded a second time. */
  async refresh(l) {
    const last = this.last;
    if (!last || last.lang === l) return;
    try {
      let data;
      if (last.kind === "check") {
        ({ data } = await request("POST", "/check", {
          json: { parcel_ids: last.data.parcel_ids, project: last.project, lang: l, record: false },
        }));
      } else {
        ({ data } = await request("POST", "/recommend", { json: { project: last.project, top: 5, lang: l } }));
      }
      if (this.last !== last || lang() !== l) return; // a newer result or language came meanwhile
      this.last = { ...last, data, lang: l };
    } catch (err) {
      if (this.last === last) this.showError(err);
      return;
    }
    this.render();
    this.titleCandidates();
  }

  render() {
    if (!this.last) return;
    if (this.last.kind === "check") this.renderCheck(this.last.data, this.last.parcel);
    else this.renderRecommend(this.last.data);
  }

  renderCheck(d, parcel) {
    const level = (r) => (r.level ? ` level-${esc(r.level)}` : "");
    const badge = (r) => (r.level === "warning"
      ? `${statusBadge(r.status)} <span class="badge text-bg-warning level-badge">${esc(t("check.warning"))}</span>` : statusBadge(r.status));
    const rules = (d.rules || []).map((r) => `<tr class="rule-row rule-${esc(r.status)}${level(r)}" data-rule="${esc(r.rule)}">
        <td class="fw-semibold">${esc(tOr(`rule.${r.rule}`, r.rule))}</td><td class="text-nowrap">${badge(r)}</td>
        <td class="text-end">${esc(fmtVal(r.value))}${unitHtml(r.unit)}</td>
        <td class="text-end">${esc(fmtVal(r.threshold))}</td></tr>
      <tr class="rule-msg rule-${esc(r.status)}${level(r)}"><td colspan="4" class="small">${esc(r.message || "")}
        <span class="text-muted rule-source">· ${esc(sourceText(r.source))}</span></td></tr>`).join("");
    this.results.innerHTML = `<div id="check-result">
      <div class="d-flex align-items-center gap-2 mb-2">
        <span>${esc(t("check.verdict_for", { parcel }))}</span>
        <span id="check-verdict" class="fs-5">${statusBadge(d.verdict)}</span>
      </div>
      ${expansionBlock(d.expansion)}
      ${landBlock(d.land)}
      ${d.max_justified_mu != null ? `<div class="small mb-2">${esc(t(d.expansion ? "check.max_justified_expansion" : "check.max_justified", { mu: num(d.max_justified_mu, 2) }))}</div>` : ""}
      ${missingBox(d.missing_fields)}
      ${this.admitBox(d)}
      <table class="table table-sm rules-table"><colgroup><col class="c-rule"><col class="c-status"><col class="c-value"><col class="c-threshold"></colgroup><thead><tr>
        <th>${esc(t("check.rule"))}</th><th>${esc(t("check.status"))}</th><th class="text-end">${esc(t("check.value"))}</th>
        <th class="text-end">${esc(t("check.threshold"))}</th>
      </tr></thead><tbody>${rules}</tbody></table>
      <div class="d-grid mb-2"><button type="button" class="btn btn-sm btn-outline-primary" id="review-pdf-btn">
        <i class="fa-solid fa-file-pdf"></i> ${esc(t("check.review_pdf"))}</button></div></div>`;
    this.results.querySelector("#review-pdf-btn").addEventListener("click", (ev) => this.reviewPdf(ev.currentTarget, d));
    this.markMissing(d.missing_fields || []);
    const btn = this.results.querySelector("#admit-btn");
    if (btn) btn.addEventListener("click", () => this.admit(d));
    const save = this.results.querySelector("#save-btn");
    if (save) save.addEventListener("click", () => this.save(d));
    this.landOverlay.draw(d.land);
    this.results.scrollIntoView({ block: "start" });
  }

  /** Download the 项目准入审查意见 of the check shown (POST /reports/review: the same project and
   * site, checked again and not recorded), in the page's language. */
  async reviewPdf(button, d) {
    const label = button.innerHTML;
    button.disabled = true;
    button.textContent = t("check.review_making");
    try {
      const body = { parcel_ids: d.parcel_ids, project: this.last.project, lang: lang() };
      const { blob, filename } = await download("/reports/review", undefined, body);
      saveBlob(blob, filename || `review-${d.parcel_ids.join("+")}.pdf`);
    } catch (err) {
      toastError(err);
    } finally {
      button.disabled = false;
      button.innerHTML = label;
    }
  }

  /** Outline the form fields a needs_data rule asks for (until the next check). */
  markMissing(fields) {
    this.form.querySelectorAll(".needs-data").forEach((el) => el.classList.remove("needs-data"));
    for (const f of fields) {
      const el = this.form.elements[f === "park" ? "project_park" : f];
      if (el && el.classList) el.classList.add("needs-data");
    }
  }

  /** The register part of a check (managers only): 保存到项目库, then — once saved — the reason
   * (for 需复核) and 登记准入. */
  admitBox(d) {
    if (!hasRole("manager")) return "";
    const saved = this.last.saved;
    if (!saved) {
      return `<div id="admit-box" class="mb-2"><button type="button" class="btn btn-sm btn-outline-primary" id="save-btn">
        <i class="fa-solid fa-floppy-disk"></i> ${esc(t("register.save"))}</button>
        <span class="small text-muted ms-1">${esc(t("register.save_hint"))}</span><div id="admit-error" class="mt-1"></div></div>`;
    }
    const savedNote = `<span class="small text-muted" id="saved-note">${esc(t("register.saved", { id: saved.id }))}</span>`;
    if (this.last.admitted) {
      return `<div id="admit-box" class="mb-2"><span class="badge text-bg-success" id="admit-state">
        <i class="fa-solid fa-stamp"></i> ${esc(t("admit.admitted"))}</span> ${savedNote}</div>`;
    }
    if (d.verdict === "fail") return `<div id="admit-box" class="small text-muted mb-2">${savedNote} · ${esc(t("admit.not_for_fail"))}</div>`;
    if (d.verdict === "needs_data") return `<div id="admit-box" class="small text-muted mb-2">${savedNote} · ${esc(t("admit.not_for_needs_data"))}</div>`;
    const reason = d.verdict === "review"
      ? `<textarea class="form-control form-control-sm mb-1" id="admit-reason" rows="2" maxlength="2000"
          placeholder="${esc(t("admit.reason"))}" aria-label="${esc(t("admit.reason"))}"></textarea>` : "";
    return `<div id="admit-box" class="mb-2"><div class="mb-1">${savedNote}</div>${reason}
      <button type="button" class="btn btn-sm btn-success" id="admit-btn">
        <i class="fa-solid fa-stamp"></i> ${esc(t("admit.button"))}</button>
      <div id="admit-error" class="mt-1"></div></div>`;
  }

  /** Save the checked project with its check on the checked parcels (POST /projects). */
  async save(d) {
    const box = this.results.querySelector("#admit-box");
    box.querySelector("#save-btn").disabled = true;
    try {
      const { data } = await request("POST", "/projects", {
        json: { parcel_ids: d.parcel_ids, project: this.last.project, lang: lang() },
      });
      this.last.saved = data;
      toast(t("register.saved", { id: data.id }), "ok");
      this.renderCheck(d, this.last.parcel);
      this.onAdmitted();
    } catch (err) {
      box.querySelector("#admit-error").innerHTML = `<div class="alert alert-danger py-1 px-2 small mb-0">${esc(err.message)}</div>`;
      box.querySelector("#save-btn").disabled = false;
    }
  }

  /** Ask for confirmation (the parcels and the capacity the project takes, as the check computed
   * it), then register the saved project as admitted on the checked parcels; show a refusal. */
  async admit(d) {
    const box = this.results.querySelector("#admit-box");
    const field = box.querySelector("#admit-reason");
    const errEl = box.querySelector("#admit-error");
    const btn = box.querySelector("#admit-btn");
    const reason = field ? field.value.trim() : "";
    const refuse = (text) => { errEl.innerHTML = `<div class="alert alert-danger py-1 px-2 small mb-0" id="admit-refused">${esc(text)}</div>`; };
    if (d.verdict === "review" && !reason) { refuse(t("admit.reason_needed")); field.focus(); return; }
    const rule = (id) => (d.rules || []).find((r) => r.rule === id);
    const takes = (id, unit) => {
      const r = rule(id);
      return r && typeof r.value === "number" ? `${num(r.value, 2)} ${unit}` : t("admit.not_declared");
    };
    const ok = await confirmDialog({
      title: t("admit.confirm_title"),
      html: `<p>${esc(t("admit.confirm_text", { name: d.project }))}</p>${factList([
        [t("admit.parcels"), `${d.parcel_ids.join(t("common.list_sep"))} (${num(d.area_mu, 2)} ${t("unit.mu")})`],
        [t("admit.power"), takes("power_capacity", "MVA")],
        [t("admit.water"), takes("water_supply", "m³/d")],
      ])}${reason ? `<p class="mt-2 mb-0">${esc(t("admit.reason_given"))}${esc(t("common.colon"))}${esc(reason)}</p>` : ""}`,
      ok: t("admit.confirm"),
    });
    if (!ok) return;
    btn.disabled = true;
    try {
      const { data } = await request("POST", `/projects/${this.last.saved.id}/admission`,
        { json: { parcel_ids: d.parcel_ids, reason: reason || null } });
      this.last.admitted = data.admission;
      toast(t("admit.done", { name: data.name, parcels: data.admission.parcel_ids.join(t("common.list_sep")) }), "ok");
      this.renderCheck(d, this.last.parcel);
      this.onAdmitted();
    } catch (err) {
      const body = err.body && typeof err.body === "object" ? err.body : {};
      refuse(lang() === "zh" && body.message_zh ? body.message_zh : err.message);
      btn.disabled = false;
    }
  }

  renderRecommend(d) {
    this.landOverlay.clear();
    const cands = d.candidates || [];
    const items = cands.map((c) => `<li class="list-group-item candidate" data-rank="${c.rank}">
        <div class="d-flex align-items-center gap-2"><span class="rank-badge">${c.rank}</span>
        <b>${esc((c.parcel_ids || []).join(" + "))}</b>${c.verdict ? statusBadge(c.verdict) : ""}
        <span class="ms-auto small">${esc(num(c.area_mu, 2))} ${esc(t("unit.mu"))} · ${esc(num(c.score, 1))}</span></div>
        <div class="small">${esc(clusterName(c.cluster))}</div>
        <div class="small text-muted">${esc(c.reason || "")}</div>
        ${c.weakest ? `<div class="small">${esc(t("check.weakest", { name: c.weakest }))}</div>` : ""}</li>`).join("");
    this.results.innerHTML = `<div id="recommend-result">
      ${d.max_justified_mu != null ? `<div class="small mb-1">${esc(t("check.max_justified", { mu: num(d.max_justified_mu, 2) }))}</div>` : ""}
      ${d.note ? `<div class="small text-muted mb-1">${esc(d.note)}</div>` : ""}
      ${cands.length ? `<ul class="list-group candidates">${items}</ul>`
        : `<div class="alert alert-warning" id="recommend-none">${esc(t("check.no_candidates"))}</div>`}</div>`;
    this.results.scrollIntoView({ block: "start" });
    this.results.querySelectorAll(".candidate").forEach((li) => {
      li.addEventListener("click", () => this.focusCandidate(Number(li.dataset.rank)));
    });
  }

  drawCandidates(cands) {
    this.clearHighlight();
    cands.forEach((c) => {
      if (!c.geometry) return;
      const g = L.geoJSON({ type: "Feature", geometry: c.geometry, properties: {} }, {
        pane: "recommend", interactive: false,
        style: { color: "#d500f9", weight: 4, fill: true, fillColor: "#d500f9", fillOpacity: 0.15 },
      });
      g.rank = c.rank;
      g.parcelIds = c.parcel_ids;
      this.highlight.addLayer(g);
      const center = g.getBounds().getCenter();
      const m = L.marker(center, {
        pane: "recommendLabels",
        icon: L.divIcon({ className: "rank-marker", html: `<span>${c.rank}</span>`, iconSize: [26, 26] }),
        title: candidateTitle(c),
      });
      m.candidate = c;
      m.on("click", () => this.focusCandidate(c.rank));
      this.highlight.addLayer(m);
    });
    if (!this.map.hasLayer(this.highlight)) this.highlight.addTo(this.map);
    if (this.highlight.getLayers().length) {
      this.map.fitBounds(this.highlight.getBounds(), { padding: [40, 40], maxZoom: 16 });
    }
  }

  /** Write the rank markers' titles again (in a new language). */
  titleCandidates() {
    this.highlight.eachLayer((m) => {
      if (m.candidate && m.getElement()) m.getElement().title = candidateTitle(m.candidate);
    });
  }

  focusCandidate(rank) {
    const g = this.highlight.getLayers().find((l) => l.rank === rank);
    if (!g) return;
    this.map.fitBounds(g.getBounds(), { padding: [60, 60], maxZoom: 17 });
    this.results.querySelectorAll(".candidate").forEach((li) => li.classList.toggle("active", Number(li.dataset.rank) === rank));
    if (g.parcelIds && g.parcelIds.length === 1 && this.onPick) this.onPick(g.parcelIds[0]);
  }

  clearHighlight() {
    this.highlight.clearLayers();
  }
}

/** How an expansion is measured (zone file ``expansion.basis``) → its catalogue id. */
const EXPANSION_BASIS = { total: "check.expansion_basis.total", added: "check.expansion_basis.added" };

/** 现有企业扩建: the enterprise, what it has now and where that comes from, or "" when the
 * project is not an expansion. */
function expansionBlock(e) {
  if (!e) return "";
  const dash = (v) => (v == null ? "—" : num(v, 2));
  return `<div class="small mb-2" id="check-expansion">${esc(t("check.expansion", {
    enterprise: e.enterprise,
    land: dash(e.existing_land_mu),
    land_basis: e.existing_land_basis || "—",
    investment: dash(e.existing_investment_wan),
    output: dash(e.existing_output_wan),
    figures_basis: e.existing_figures_basis || "—",
  }))} <span class="text-muted">${esc(t(EXPANSION_BASIS[e.basis] || "check.expansion_basis.added"))}</span></div>`;
}

/** 需补充资料: the form fields the project must fill (their labels), or "" when none. */
function missingBox(fields) {
  if (!fields || !fields.length) return "";
  const names = fields.map((f) => tOr(FIELD_LABELS[f] || "", f)).join(t("common.list_sep"));
  return `<div class="alert alert-info py-1 px-2 small mb-2" id="check-missing">${esc(t("check.needs_data", { fields: names }))}</div>`;
}

/** The catalogue ids of the form's labels, by project field. */
const FIELD_LABELS = {
  industry: "project.industry", branch: "project.branch", encouraged_description: "project.encouraged",
  investment_wan: "project.investment", output_wan: "project.output", tax_wan: "project.tax",
  land_mu: "project.land", water_m3_per_day: "project.water", power_kw: "project.power",
  online_monitoring: "project.monitoring", waste_treatment_pct: "project.waste",
  energy_tce_per_wan: "project.energy_per_wan", water_m3_per_wan: "project.water_per_wan", park: "project.park",
  expansion_of: "project.expansion_of", existing_land_mu: "project.existing_land",
  existing_investment_wan: "project.existing_investment", existing_output_wan: "project.existing_output",
};

/** A rule value's unit: beside a short one (%, 分), under a long one (万元/亩). */
function unitHtml(unit) {
  if (!unit) return "";
  const u = unitText(unit);
  return u.length <= 2 ? ` <span class="text-muted rule-unit">${esc(u)}</span>`
    : `<div class="small text-muted text-nowrap rule-unit">${esc(u)}</div>`;
}

function candidateTitle(c) {
  return `${t("check.rank")} ${c.rank}: ${(c.parcel_ids || []).join(" + ")}`;
}

function fmtVal(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return num(v, 2);
  if (typeof v === "boolean") return v ? t("common.yes") : t("common.no");
  if (Array.isArray(v)) return v.join(t("common.list_sep"));
  return tOr(`status_parcel.${v}`, String(v));
}

