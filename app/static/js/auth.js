// The login box: OAuth2 password form → token kept in sessionStorage; the user's name and role.

import { get, getToken, onTokenChange, request, setToken } from "./api.js";
import { lang, onLangChange, t } from "./i18n.js";
import { autofocusDialog, esc, toast } from "./ui.js";

const ROLES = ["viewer", "analyst", "planner", "manager", "admin"];
const listeners = new Set();
let user = null;

/** The signed-in user ({name, role, …}) or null. */
export function currentUser() {
  return user;
}

/** Return whether the signed-in user's role is `role` or above (roles are cumulative). */
export function hasRole(role) {
  return !!user && ROLES.indexOf(user.role) >= ROLES.indexOf(role);
}

/** Call `fn(user)` whenever the user signs in or out. */
export function onUserChange(fn) {
  listeners.add(fn);
}

function notify() {
  render();
  listeners.forEach((fn) => fn(user));
}

function render() {
  const area = document.getElementById("auth-area");
  if (!area) return;
  if (user) {
    area.innerHTML = `<span class="navbar-text me-2" id="user-name"><i class="fa-solid fa-user"></i> ${
      esc(user.name || user.username)} <span class="badge text-bg-light">${esc(t(`role.${user.role}`))}</span></span>
      <button class="btn btn-sm btn-outline-light" id="logout-btn" type="button">${esc(t("auth.logout"))}</button>`;
    area.querySelector("#logout-btn").addEventListener("click", logout);
  } else {
    area.innerHTML = `<button class="btn btn-sm btn-outline-light" id="login-btn" type="button">
      <i class="fa-solid fa-right-to-bracket"></i> ${esc(t("auth.login"))}</button>`;
    area.querySelector("#login-btn").addEventListener("click", openLogin);
  }
}

/** Open the login dialog. */
export function openLogin() {
  const modal = window.bootstrap.Modal.getOrCreateInstance(document.getElementById("login-modal"));
  document.getElementById("login-error").textContent = "";
  modal.show();
}

async function submitLogin(ev) {
  ev.preventDefault();
  const form = ev.target;
  const errBox = document.getElementById("login-error");
  errBox.textContent = "";
  const body = new URLSearchParams({
    username: form.username.value.trim(), password: form.password.value, grant_type: "password",
  });
  try {
    const { data } = await request("POST", "/auth/token", {
      form: body, headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    setToken(data.access_token);
    form.password.value = "";
    window.bootstrap.Modal.getOrCreateInstance(document.getElementById("login-modal")).hide();
    toast(t("auth.welcome", { name: user ? user.name : form.username.value }), "ok");
  } catch (err) {
    errBox.textContent = err.status === 401 || err.status === 400 ? t("auth.bad_login") : loginErrorText(err);
  }
}

/** The message of a refused login in the page's language: a 429 (too many failed logins) body
 * carries `message_zh` beside the English `message` (which ApiError already made err.message). */
function loginErrorText(err) {
  const zh = err.status === 429 && err.body && typeof err.body === "object" ? err.body.message_zh : null;
  return lang() === "zh" && zh ? zh : err.message;
}

function logout() {
  setToken(null);
}

async function loadUser() {
  if (!getToken()) {
    user = null;
  } else {
    try {
      user = await get("/me");
    } catch {
      user = null;
    }
  }
  notify();
}

/** Wire the login form and show who is signed in (reads the token left in sessionStorage). */
export async function initAuth() {
  document.getElementById("login-form").addEventListener("submit", submitLogin);
  autofocusDialog(document.getElementById("login-modal"), () => document.getElementById("login-username"));
  onTokenChange(() => loadUser());
  onLangChange(render);
  await loadUser();
}
