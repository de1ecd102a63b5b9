// Log-in and tokens for the pages.
//
// The access token lives only in this module's memory (never localStorage or sessionStorage);
// the refresh token is an HttpOnly SameSite=Strict cookie that only /api/v1/auth/session/*
// receives. A page that loads or whose access token expires calls refresh(), which rotates the
// cookie. A rotated refresh token sent again ends the session on the server, so refreshes are
// serialised across all tabs with the Web Locks API (navigator.locks); where that is missing
// (old WebViews), they are serialised within the tab only.

const SESSION = "/api/v1/auth/session";
const CSRF = { "X-Fieldapp-CSRF": "1" };
const LOCK = "fieldapp-session-refresh";

let accessToken = null;
let expiresAt = 0;
let pending = null;

export class SessionError extends Error {
  // kind: "credentials" (401 on log-in), "locked" (429, retryAfter seconds), "ended" (refresh
  // refused: log in again), "network" (no answer), "server".
  constructor(kind, { status = 0, retryAfter = null, problem = null } = {}) {
    super(kind);
    this.kind = kind;
    this.status = status;
    this.retryAfter = retryAfter;
    this.problem = problem;
  }
}

async function call(method, path, body) {
  let resp;
  try {
    resp = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { ...CSRF, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    throw new SessionError("network");
  }
  return resp;
}

async function accept(resp, failKind) {
  if (resp.ok) {
    const data = await resp.json();
    accessToken = data.access_token;
    // Renew a minute early so a request never leaves with a token about to expire.
    expiresAt = Date.now() + Math.max(30, data.expires_in - 60) * 1000;
    window.dispatchEvent(new CustomEvent("fieldapp:session", { detail: { loggedIn: true } }));
    return accessToken;
  }
  let problem = null;
  try { problem = await resp.json(); } catch (err) { /* not JSON */ }
  if (resp.status === 429) {
    const retryAfter = Number(resp.headers.get("Retry-After")) || 60;
    throw new SessionError("locked", { status: 429, retryAfter, problem });
  }
  if (resp.status === 401 || resp.status === 403) {
    throw new SessionError(failKind, { status: resp.status, problem });
  }
  throw new SessionError("server", { status: resp.status, problem });
}

export async function logIn(username, password) {
  return accept(await call("POST", SESSION, { username, password }), "credentials");
}

function forget() {
  accessToken = null;
  expiresAt = 0;
  window.dispatchEvent(new CustomEvent("fieldapp:session", { detail: { loggedIn: false } }));
}

async function refreshNow() {
  try {
    return await accept(await call("POST", `${SESSION}/refresh`), "ended");
  } catch (err) {
    if (err.kind === "ended") forget();
    throw err;
  }
}

// A fresh access token from the refresh cookie; one at a time across tabs.
export function refresh() {
  if (!pending) {
    const run = navigator.locks
      ? navigator.locks.request(LOCK, refreshNow)
      : refreshNow();
    pending = run.finally(() => { pending = null; });
  }
  return pending;
}

// The access token to send, refreshed first when it is missing or about to expire.
export async function token() {
  if (accessToken && Date.now() < expiresAt) return accessToken;
  return refresh();
}

// Called by api.js when the server refused the token: drop it so the next call refreshes.
export function tokenRefused(sent) {
  if (accessToken === sent) {
    accessToken = null;
    expiresAt = 0;
  }
}

export function isLoggedIn() {
  return accessToken !== null;
}

export async function logOut() {
  try {
    await call("DELETE", SESSION);
  } finally {
    forget();
  }
}
