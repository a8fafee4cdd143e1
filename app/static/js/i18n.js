// Interface texts, one language at a time: the current language's part of the message catalogue
// (app/locale/<lang>/web.po and common.po, served as JSON by GET /i18n/<lang>.json). Chinese is the
// default; the choice persists in localStorage and goes to the API as Accept-Language (api.js).
// Elements carry data-i18n="key" (text), data-i18n-placeholder, data-i18n-title, data-i18n-aria.

const LANG_KEY = "parksite.lang";
const loaded = {}; // language → {id: text}
const listeners = new Set();
let current = localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh";
let texts = {};

/** Return the catalogue of language `l` ({id: text}), read from the server once. */
async function load(l) {
  if (!loaded[l]) {
    const base = document.body.dataset.texts || "/i18n";
    const v = document.body.dataset.version || "";
    const res = await fetch(`${base}/${l}.json?v=${v}`, { credentials: "same-origin" });
    if (!res.ok) throw new Error(`${base}/${l}.json: HTTP ${res.status}`);
    loaded[l] = await res.json();
  }
  return loaded[l];
}

/** Load the saved language's texts and label the page with them; read the other language's in
 * the background, so that the switch is immediate. */
export async function initI18n() {
  texts = await load(current);
  apply();
  load(current === "zh" ? "en" : "zh").catch(() => {}); // setLang asks again if this failed
}

/** The current language: "zh" or "en". */
export function lang() {
  return current;
}

/** Switch language (reading its texts first if need be), persist it, re-label the page and tell
 * the listeners. */
export async function setLang(l) {
  const next = l === "en" ? "en" : "zh";
  texts = loaded[next] || await load(next);
  current = next;
  localStorage.setItem(LANG_KEY, current);
  apply();
  listeners.forEach((fn) => fn(current));
}

/** Call `fn(lang)` after every language switch (to re-render or re-fetch dynamic parts). */
export function onLangChange(fn) {
  listeners.add(fn);
}

/** Return the text of `key` in the current language, with {name} placeholders filled. */
export function t(key, vars) {
  let s = texts[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] ?? m));
  return s;
}

/** Return the text of `key`, or `fallback` when there is none. */
export function tOr(key, fallback, vars) {
  return has(key) ? t(key, vars) : fallback;
}

/** Return whether a text exists for `key`. */
export function has(key) {
  return key in texts;
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
  root.querySelectorAll("[data-i18n-aria]").forEach((el) => {
    el.setAttribute("aria-label", t(el.dataset.i18nAria));
  });
  const title = document.querySelector("title[data-i18n]");
  if (title) document.title = t(title.dataset.i18n);
}
