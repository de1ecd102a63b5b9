// The pages' client for /api/v1: JSON in and out, the access token attached, one refresh and
// retry when the token was refused, and every failure as an ApiError the pages can explain.

import * as session from "./session.js";
import { t } from "./i18n.js";
import { formatWait } from "./format.js";

const BASE = "/api/v1";

export class ApiError extends Error {
  // status: HTTP status, or 0 when no answer came (offline, timeout, connection dropped).
  // problem: the RFC 9457 body ({title, detail, errors: {field: [messages]}, ...}) if any.
  constructor(status, problem = null, { retryAfter = null } = {}) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  get network() { return this.status === 0; }

  // Worth sending again later without changing anything: no answer, 408, 429, 5xx.
  get transient() {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }

  // A sentence for the user, in the page's language.
  explain() {
    if (this.status === 0) return t("common.network_error");
    if (this.status === 401) return t("common.session_ended");
    if (this.status === 403) return t("common.forbidden");
    if (this.status === 404) return t("common.not_found");
    if (this.status === 429) return t("common.locked_out", { wait: formatWait(this.retryAfter || 60) });
    if (this.status >= 500) return t("common.server_error");
    return this.problem?.detail || t("common.invalid_input");
  }
}

// fetch cannot report an upload's progress; XMLHttpRequest can. Its answer becomes a Response, so
// callers cannot tell the two apart.
function sendWithUploadProgress(url, init, timeout, onUpload) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(init.method, url);
    xhr.responseType = "blob";
    xhr.timeout = timeout;
    for (const [name, value] of Object.entries(init.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (e) => onUpload(e.loaded, e.lengthComputable ? e.total : 0));
    xhr.addEventListener("load", () => {
      const headers = new Headers();
      for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
        const at = line.indexOf(":");
        if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
      }
      const empty = [204, 205, 304].includes(xhr.status);
      resolve(new Response(empty ? null : xhr.response, { status: xhr.status, headers }));
    });
    for (const failure of ["error", "timeout", "abort"]) {
      xhr.addEventListener(failure, () => reject(new ApiError(0)));
    }
    xhr.send(init.body ?? null);
  });
}

// onUpload(sent, total): the request body's progress (a file import); the answer is as usual.
async function send(path, { method = "GET", body, query, headers = {}, timeout = 20000, onUpload }, bearer) {
  const url = new URL(BASE + path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (bearer) init.headers.Authorization = `Bearer ${bearer}`;
  if (body instanceof FormData || body instanceof Blob) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (onUpload) return sendWithUploadProgress(url, init, timeout, onUpload);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  init.signal = controller.signal;
  try {
    return await fetch(url, init);
  } catch (err) {
    throw new ApiError(0);
  } finally {
    clearTimeout(timer);
  }
}

async function parse(resp) {
  if (resp.status === 204) return null;
  const type = resp.headers.get("Content-Type") || "";
  if (type.includes("json")) return resp.json();
  return resp.blob();
}

// api("/me/assignments", {query: {near: "34.3,108.7"}}) → parsed JSON; throws ApiError.
// raw: true → the Response itself, its body unread (to follow a large download's progress).
export async function api(path, options = {}) {
  const auth = options.auth !== false;
  let bearer = auth ? await session.token().catch((err) => {
    throw new ApiError(err.kind === "network" ? 0 : 401);
  }) : null;
  let resp = await send(path, options, bearer);
  if (resp.status === 401 && auth) {
    session.tokenRefused(bearer);
    bearer = await session.token().catch((err) => {
      throw new ApiError(err.kind === "network" ? 0 : 401);
    });
    resp = await send(path, options, bearer);
  }
  if (!resp.ok) {
    let problem = null;
    try { problem = await resp.json(); } catch (err) { /* not JSON */ }
    throw new ApiError(resp.status, problem,
      { retryAfter: Number(resp.headers.get("Retry-After")) || null });
  }
  return options.raw ? resp : parse(resp);
}
