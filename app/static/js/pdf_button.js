// A button that downloads a PDF the API makes (reports, letters): busy while the server draws it,
// saved under the server's file name, errors as a toast.

import { download } from "./api.js";
import { lang, t } from "./i18n.js";
import { saveBlob, toastError } from "./ui.js";

/** Download GET `path` (with `params` and the page's language) as a PDF, `button` busy meanwhile. */
export async function downloadPdf(button, path, params, fallbackName) {
  const label = button.innerHTML;
  button.disabled = true;
  button.textContent = t("panel.report_making");
  try {
    const { blob, filename } = await download(path, { ...(params || {}), lang: lang() });
    saveBlob(blob, filename || fallbackName);
  } catch (err) {
    toastError(err);
  } finally {
    button.disabled = false;
    button.innerHTML = label;
  }
}
