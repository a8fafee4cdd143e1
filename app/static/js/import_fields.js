// The import page's field table: for each layer of the mapping, each parksite field (required
// first) with a list of the source fields read from the file; a choice changed here is sent with
// the next dry run (`choices`) and written into the mapping by the server.

import { has, t } from "./i18n.js";
import { esc } from "./ui.js";

const LAYER_ORDER = ["parks", "clusters", "parcels", "roads", "rivers", "substations", "water", "places"];

function fieldLabel(name) {
  return has(`importfield.${name}`) ? `${t(`importfield.${name}`)} (${name})` : name;
}

function targetRow(layer, row, sources) {
  const id = `fld-${layer}-${row.field}`;
  if (row.how === "value") {
    return `<tr data-target="${esc(row.field)}"><th scope="row" class="fw-normal">${esc(fieldLabel(row.field))}</th>
      <td class="text-muted">${esc(t("zoneimport.field_value", { value: String(row.value) }))}</td></tr>`;
  }
  const options = [...new Set([...(row.source && !sources.includes(row.source) ? [row.source] : []), ...sources])];
  const missing = row.required && !row.source;
  const note = row.how === "codes" ? t("zoneimport.field_codes") : row.how === "unit" ? t("zoneimport.field_unit") : "";
  return `<tr data-target="${esc(row.field)}"${missing ? ' class="table-danger"' : ""}>
    <th scope="row" class="fw-normal"><label for="${esc(id)}">${esc(fieldLabel(row.field))}</label>${
      row.required ? ` <span class="badge text-bg-light border">${esc(t("zoneimport.field_required"))}</span>` : ""}</th>
    <td><select class="form-select form-select-sm" id="${esc(id)}" data-layer="${esc(layer)}"
        data-target="${esc(row.field)}" data-initial="${esc(row.source || "")}"${sources.length ? "" : " disabled"}>
      <option value="">${esc(t("zoneimport.field_none"))}</option>
      ${options.map((s) => `<option value="${esc(s)}"${s === row.source ? " selected" : ""}>${esc(s)}</option>`).join("")}
    </select>${note ? `<div class="form-text mt-0">${esc(note)}</div>` : ""}${
      missing ? `<div class="form-text text-danger mt-0">${esc(t("zoneimport.field_missing"))}</div>` : ""}</td></tr>`;
}

/** Draw the field table of `fields` ({layer: {sources, targets}}) into `box`; empty when none. */
export function renderFieldTable(box, fields) {
  const layers = LAYER_ORDER.filter((name) => fields[name]);
  if (!layers.length) { box.innerHTML = ""; return; }
  box.innerHTML = `<details open class="card card-body py-2" id="import-field-table">
    <summary class="fw-semibold small">${esc(t("zoneimport.fields"))}</summary>
    <div class="form-text mb-1">${esc(t("zoneimport.fields_help"))}</div>
    ${layers.map((name) => {
      const { sources, targets } = fields[name];
      return `<table class="table table-sm small align-middle mb-2 import-field-table" data-layer="${esc(name)}">
        <colgroup><col style="width: 55%"><col style="width: 45%"></colgroup>
        <caption class="caption-top py-0 fw-semibold text-body">${esc(t(`layer.${name}`))}${
          sources.length ? "" : ` <span class="fw-normal text-danger">${esc(t("zoneimport.field_unread"))}</span>`}</caption>
        <thead><tr><th scope="col">${esc(t("zoneimport.field_target"))}</th><th scope="col">${esc(t("zoneimport.field_source"))}</th></tr></thead>
        <tbody>${targets.map((row) => targetRow(name, row, sources)).join("")}</tbody></table>`;
    }).join("")}</details>`;
}

/** Return the choices changed in the table in `box` as {layer: {target: source or ""}}, or null. */
export function fieldChoices(box) {
  const out = {};
  box.querySelectorAll("select[data-layer]").forEach((sel) => {
    if (sel.disabled || sel.value === sel.dataset.initial) return;
    (out[sel.dataset.layer] ||= {})[sel.dataset.target] = sel.value;
  });
  return Object.keys(out).length ? out : null;
}

/** After a hand edit of the mapping text: the table's choices no longer apply until the next run. */
export function markFieldTableStale(box) {
  const table = box.querySelector("#import-field-table");
  if (!table || table.dataset.stale) return;
  table.dataset.stale = "1";
  box.querySelectorAll("select[data-layer]").forEach((sel) => { sel.disabled = true; });
  table.querySelector("summary").insertAdjacentHTML("afterend",
    `<div class="small text-warning-emphasis" id="import-fields-stale">${esc(t("zoneimport.fields_stale"))}</div>`);
}
