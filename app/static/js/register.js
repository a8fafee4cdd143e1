// 项目库: the saved projects (GET /projects) in a table — name, industry, status, parcels,
// investment, dates — filtered by status; a manager revokes an admission here (confirmed).

import { request } from "./api.js";
import { hasRole } from "./auth.js";
import { confirmDialog, factList } from "./confirm.js";
import { downloadPdf } from "./pdf_button.js";
import { onLangChange, t } from "./i18n.js";
import { esc, num, toast, toastError } from "./ui.js";
import { branchName } from "./zone.js";

const STATUS_BADGE = { negotiating: "secondary", reviewed: "info", admitted: "success", revoked: "dark" };

/** Return a project status as a badge (洽谈 / 已审查 / 已准入 / 已撤销). */
export function projectStatusBadge(status) {
  return `<span class="badge text-bg-${STATUS_BADGE[status] || "secondary"} project-status" data-status="${esc(status)}">${
    esc(t(`project_status.${status}`))}</span>`;
}

export class ProjectRegister {
  constructor({ root, onChanged }) {
    this.root = root;
    this.onChanged = onChanged || (() => {});
    this.projects = [];
    this.filter = root.querySelector("#register-status");
    this.list = root.querySelector("#register-list");
    this.filter.addEventListener("change", () => this.load());
    root.querySelector("#register-refresh").addEventListener("click", () => this.load());
    onLangChange(() => this.render());
  }

  /** Read the register again (with the chosen status filter) and show it (signed-in users). */
  async load() {
    if (!hasRole("viewer")) {
      this.projects = [];
      this.list.innerHTML = `<p class="text-muted" id="register-login">${esc(t("register.need_login"))}</p>`;
      return;
    }
    try {
      const data = await request("GET", "/projects", { params: { status: this.filter.value || undefined, limit: 500 } });
      this.projects = data.data.projects || [];
      this.render();
    } catch (err) {
      this.list.innerHTML = `<div class="alert alert-danger">${esc(err.message)}</div>`;
    }
  }

  render() {
    if (!hasRole("viewer")) { this.load(); return; }
    if (!this.projects.length) {
      this.list.innerHTML = `<p class="text-muted" id="register-empty">${esc(t("register.empty"))}</p>`;
      return;
    }
    const canRevoke = hasRole("manager");
    const rows = this.projects.map((p) => {
      const adm = p.admission;
      const last = p.last_admission;
      const sep = t("common.list_sep");
      // the site: admitted on, formerly admitted on (struck through), or checked on
      const parcels = adm ? esc(adm.parcel_ids.join(sep))
        : last ? `<s title="${esc(t("project_status.revoked"))}">${esc(last.parcel_ids.join(sep))}</s>`
          : esc((p.checked_parcel_ids || []).join(sep) || "—");
      const sited = adm || (p.checked_parcel_ids || []).length;
      const pdf = sited
        ? `<button type="button" class="btn btn-sm btn-outline-primary py-0 px-1 text-nowrap review-pdf-btn" data-id="${p.id}"
          title="${esc(t("register.review_pdf"))}" aria-label="${esc(t("register.review_pdf"))}"><i class="fa-solid fa-file-pdf"></i> ${esc(t("register.review_pdf_short"))}</button>` : "";
      const revoke = canRevoke && p.status === "admitted"
        ? `<button type="button" class="btn btn-sm btn-outline-danger py-0 text-nowrap revoke-btn" data-id="${p.id}">${esc(t("register.revoke"))}</button>` : "";
      return `<tr class="register-row" data-id="${p.id}" data-status="${esc(p.status)}">
        <td><b>${esc(p.name)}</b><div class="text-muted">${esc(p.industry ? branchName(p.industry) : "—")}${p.branch ? ` · ${esc(branchName(p.branch))}` : ""}</div>${pdf ? `<div class="mt-1">${pdf}</div>` : ""}</td>
        <td>${projectStatusBadge(p.status)}</td>
        <td class="register-parcels text-nowrap">${parcels}</td>
        <td class="text-end">${esc(p.investment_wan == null ? "—" : num(p.investment_wan, 0))}</td>
        <td class="text-nowrap register-dates">${dated("register.date_saved", p.created_at, "")}${
          last ? dated("register.date_admitted", last.admitted_at, "text-success") : ""}${
          last && last.revoked_at ? dated("register.date_revoked", last.revoked_at, "text-muted") : ""}</td>
        <td>${revoke}</td></tr>`;
    }).join("");
    this.list.innerHTML = `<table class="table table-sm register-table"><thead><tr>
      <th>${esc(t("register.name"))}</th><th>${esc(t("register.status"))}</th><th>${esc(t("register.parcels"))}</th>
      <th class="text-end">${esc(t("register.investment"))}</th><th>${esc(t("register.dates"))}</th><th></th>
      </tr></thead><tbody>${rows}</tbody></table>`;
    this.list.querySelectorAll(".review-pdf-btn").forEach((b) => b.addEventListener("click", () => {
      downloadPdf(b, `/reports/projects/${encodeURIComponent(b.dataset.id)}`, {}, `review-project-${b.dataset.id}.pdf`);
    }));
    this.list.querySelectorAll(".revoke-btn").forEach((b) => b.addEventListener("click", () => this.revoke(Number(b.dataset.id))));
  }

  /** Revoke project `id`'s admission after confirmation: its parcels and capacity come free. */
  async revoke(id) {
    const p = this.projects.find((x) => x.id === id);
    if (!p || !p.admission) return;
    const ok = await confirmDialog({
      title: t("register.revoke_title"),
      html: `<p>${esc(t("register.revoke_text", { name: p.name }))}</p>${factList([
        [t("register.parcels"), p.admission.parcel_ids.join(t("common.list_sep"))],
        ...demandFacts(p),
      ])}`,
      ok: t("register.revoke"),
      danger: true,
    });
    if (!ok) return;
    try {
      await request("DELETE", `/projects/${id}/admission`);
      toast(t("register.revoked", { name: p.name }), "ok");
      await this.load();
      this.onChanged();
    } catch (err) {
      toastError(err);
    }
  }
}

/** Return the capacity a project holds as [label, value] pairs: its declared power load (kW) and
 * water demand (m³/d), which revoking gives back. */
export function demandFacts(p) {
  const out = [];
  if (p.power_kw != null) out.push([t("admit.power"), `${num(p.power_kw, 0)} kW`]);
  if (p.water_m3_per_day != null) out.push([t("admit.water"), `${num(p.water_m3_per_day, 0)} m³/d`]);
  return out;
}

/** One labelled date line of the register (登记 / 准入 / 撤销 and the day). */
function dated(label, iso, cls) {
  return `<div class="${cls}"><span class="text-muted">${esc(t(label))}</span> ${esc(day(iso))}</div>`;
}

function day(iso) {
  return iso ? String(iso).slice(0, 10) : "—";
}
