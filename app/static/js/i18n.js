// Interface texts in Chinese (default) and English; the choice persists in localStorage.
// Elements carry data-i18n="key" (text), data-i18n-placeholder, data-i18n-title, data-i18n-aria.

const LANG_KEY = "parksite.lang";
const dicts = { zh: {}, en: {} };
const listeners = new Set();
let current = localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";

/** Load both dictionaries (static/i18n/zh.json, en.json) and apply the saved language. */
export async function initI18n() {
  const base = document.body.dataset.static || "/static";
  const v = document.body.dataset.version || "";
  const [zh, en] = await Promise.all(
    ["zh", "en"].map((l) => fetch(`${base}/i18n/${l}.json?v=${v}`).then((r) => r.json())),
  );
  dicts.zh = zh;
  dicts.en = en;
  apply();
}

/** The current language: "zh" or "en". */
export function lang() {
  return current;
}

/** Switch language, persist it, re-label the page and tell the listeners. */
export function setLang(l) {
  current = l === "en" ? "en" : "zh";
  localStorage.setItem(LANG_KEY, current);
  apply();
  listeners.forEach((fn) => fn(current));
}

/** Call `fn(lang)` after every language switch (to re-render dynamic parts). */
export function onLangChange(fn) {
  listeners.add(fn);
}

/** Return the text of `key` in the current language, with {name} placeholders filled. */
export function t(key, vars) {
  let s = dicts[current][key] ?? dicts.zh[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] ?? m));
  return s;
}

/** Return the text of `key`, or `fallback` when there is none. */
export function tOr(key, fallback, vars) {
  return has(key) ? t(key, vars) : fallback;
}

/** Return whether a text exists for `key`. */
export function has(key) {
  return key in dicts[current] || key in dicts.zh;
}

/** Pick the Chinese or English field of a record: name / name_en (or any base / base_en). */
export function pick(obj, base = "name") {
  if (!obj) return "";
  if (current === "en") return obj[`${base}_en`] || obj[base] || "";
  return obj[base] || obj[`${base}_en`] || "";
}

/** Re-label every element with data-i18n* attributes under `root`. */
export function apply(root = document) {
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  });
  root.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  const title = document.querySelector("title[data-i18n]");
  if (title) document.title = t(title.dataset.i18n);
}
