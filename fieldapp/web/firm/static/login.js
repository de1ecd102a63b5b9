// A small log-in form for the firm pages and the credential screen: the session from the
// refresh cookie when there is one, else username + password (session.js holds the tokens).
import * as session from "/web/static/session.js";
import { t } from "/web/static/i18n.js";
import { formatWait } from "/web/static/format.js";
import { el } from "./timeline.js";

// A hint (not a secret) that this browser logged in on these pages, so a page opened from a
// camera scan on a stranger's phone does not knock on the session endpoint for nothing.
const HINT = "fieldapp.firm_pages_session";

// Resolves true when a session exists (the cookie still holds one), without asking anything.
// always: try even without the hint (the credential screen, whose users log in elsewhere too).
export async function resume({ always = false } = {}) {
  if (!always && localStorage.getItem(HINT) !== "1") return false;
  try {
    await session.refresh();
    return true;
  } catch (err) {
    localStorage.removeItem(HINT);
    return false;
  }
}

// Draw a log-in form into root; resolves once the user has logged in.
export function logInForm(root, { intro } = {}) {
  return new Promise((resolve) => {
    const error = el("p", { class: "notice notice-bad", role: "alert", hidden: true });
    const form = el("form", { class: "card", novalidate: true },
      el("h2", {}, t("common.log_in")),
      intro ? el("p", { class: "muted" }, intro) : null,
      el("div", { class: "field" }, el("label", { for: "login-user" }, t("common.username")),
        el("input", { type: "text", id: "login-user", name: "username", autocomplete: "username", required: true })),
      el("div", { class: "field" }, el("label", { for: "login-password" }, t("common.password")),
        el("input", { type: "password", id: "login-password", name: "password", autocomplete: "current-password", required: true })),
      error,
      el("button", { class: "btn btn-primary btn-block", type: "submit" }, t("common.log_in")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      try {
        await session.logIn(form.username.value.trim(), form.password.value);
        localStorage.setItem(HINT, "1");
        form.remove();
        resolve(true);
      } catch (err) {
        error.textContent = err.kind === "credentials" ? t("common.bad_credentials")
          : err.kind === "locked" ? t("common.locked_out", { wait: formatWait(err.retryAfter) })
            : err.kind === "network" ? t("common.network_error") : t("common.server_error");
        error.hidden = false;
      }
    });
    root.replaceChildren(form);
  });
}
