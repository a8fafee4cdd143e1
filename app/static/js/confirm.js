// A confirmation dialog (the #admit-modal of map.html): a title, a body and the confirm button's
// label; resolves true when the user confirms, false when the dialog is closed otherwise.

import { t } from "./i18n.js";
import { esc } from "./ui.js";

/** Ask for confirmation; `html` is the (escaped) body. Returns a Promise of true / false. */
export function confirmDialog({ title, html, ok, danger = false }) {
  const el = document.getElementById("admit-modal");
  el.querySelector("#admit-modal-title").textContent = title;
  el.querySelector("#admit-modal-body").innerHTML = html;
  const btn = el.querySelector("#admit-confirm");
  btn.textContent = ok || t("admit.confirm");
  btn.className = `btn btn-sm ${danger ? "btn-danger" : "btn-success"}`;
  const modal = bootstrap.Modal.getOrCreateInstance(el);
  return new Promise((resolve) => {
    let answer = false;
    let shown = false;
    // Bootstrap ignores hide() while the dialog is still fading in: a click that quick (a fast
    // user, or a loaded machine) is remembered and the dialog closes once it is fully shown.
    const yes = () => { answer = true; if (shown) modal.hide(); };
    const onShown = () => { shown = true; if (answer) modal.hide(); };
    el.addEventListener("shown.bs.modal", onShown, { once: true });
    btn.addEventListener("click", yes, { once: true });
    el.addEventListener("hidden.bs.modal", () => {
      btn.removeEventListener("click", yes);
      el.removeEventListener("shown.bs.modal", onShown);
      resolve(answer);
    }, { once: true });
    modal.show();
  });
}

/** Return a dialog body: one `<li>` per [label, value] pair. */
export function factList(pairs) {
  return `<ul class="mb-0">${pairs.map(([k, v]) => `<li><b>${esc(k)}</b>${esc(t("common.colon"))}${esc(v)}</li>`).join("")}</ul>`;
}
