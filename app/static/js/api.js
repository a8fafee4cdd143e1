// The HTTP API client of the pages: JSON in and out, the login token, ETags, errors.
// Every request goes to this server (the API base comes from <body data-api>) and asks for the
// interface's language (Accept-Language), in which the API writes its messages.

import { lang } from "./i18n.js";

const TOKEN_KEY = "parksite.token";
const listeners = new Set();

export const API = document.body.dataset.api || "/api/v1";

/** An API answer that is not 2xx: `status`, the parsed `body` and a readable `message`. */
export class ApiError extends Error {
  constructor(status, body, fallback) {
    super(errorText(body) || fallback || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
  /** The error's `hint` (what to do), if the API gave one. */
  get hint() {
    return this.body && typeof this.body === "object" ? this.body.hint || null : null;
  }
  get where() {
    return this.body && typeof this.body === "object" ? this.body.where || null : null;
  }
}

/** Return the readable message of an error body — the API's one shape {error, message, where,
 * hint, errors?}, message in the request's language — or of a text (a proxy's error page). */
export function errorText(body) {
  if (!body) return "";
  if (typeof body === "string") return body;
  if (body.message) return String(body.message);
  return body.error ? String(body.error) : "";
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  listeners.forEach((fn) => fn(token));
}

/** Call `fn(token)` whenever the token changes (login, logout, expiry). */
export function onTokenChange(fn) {
  listeners.add(fn);
}

function url(path, params) {
  const u = new URL(API + path, window.location.origin);
  if (params) {
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && v !== "") u.searchParams.set(k, v);
    }
  }
  return u.pathname + u.search;
}

async function parse(res) {
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") || "";
  if (type.includes("json")) return res.json();
  return res.text();
}

/**
 * Send a request; return {data, status, etag, headers}. Throws ApiError for non-2xx answers.
 * options: params (query), json (body), form (URLSearchParams | FormData), headers, signal.
 */
export async function request(method, path, options = {}) {
  const headers = { Accept: "application/json", "Accept-Language": lang(), ...(options.headers || {}) };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    body = options.form;
  }
  const res = await fetch(url(path, options.params), {
    method, headers, body, signal: options.signal, credentials: "same-origin",
  });
  const data = await parse(res);
  if (!res.ok) {
    if (res.status === 401 && token) setToken(null);
    throw new ApiError(res.status, data, res.statusText);
  }
  return { data, status: res.status, etag: res.headers.get("ETag"), headers: res.headers };
}

export const get = (path, options) => request("GET", path, options).then((r) => r.data);

/** GET that also returns the ETag: {data, etag}. */
export const getWithEtag = (path, options) => request("GET", path, options);

/** Fetch a file answer (with the login token) and return it as {blob, filename}; with `json`
 * the request is a POST of that body (e.g. the review opinion of a check). */
export async function download(path, params, json) {
  const headers = { "Accept-Language": lang() };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { headers, credentials: "same-origin" };
  if (json !== undefined) {
    init.method = "POST";
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  const res = await fetch(url(path, params), init);
  if (!res.ok) throw new ApiError(res.status, await parse(res), res.statusText);
  const cd = res.headers.get("content-disposition") || "";
  const m = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(cd);
  const filename = m ? decodeURIComponent(m[1] || m[2]) : null;
  return { blob: await res.blob(), filename };
}
