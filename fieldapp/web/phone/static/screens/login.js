// Log in. Wrong password and the lock-out (with the wait) are said plainly.
import * as session from "/web/static/session.js";
import { api } from "/web/static/api.js";
import { t } from "/web/static/i18n.js";
import { h } from "/web/static/dom.js";
import { formatWait } from "/web/static/format.js";

export async function show(root, app) {
  app.setTitle(t("phone.app_name"));
  const error = h("div", { class: "notice notice-bad", role: "alert", id: "login-error", hidden: true });
  const username = h("input", { type: "text", id: "username", name: "username", required: true,
                                autocomplete: "username", autocapitalize: "none",
                                value: app.me?.username || "" });
  const password = h("input", { type: "password", id: "password", name: "password",
                                required: true, autocomplete: "current-password" });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, t("common.log_in"));
  const form = h("form", { class: "card login-card", novalidate: true },
    h("div", { class: "login-brand" },
      h("div", { class: "login-emblem", "aria-hidden": "true" }, "访"),
      h("h2", {}, t("phone.login_title")),
      h("p", { class: "muted" }, t("phone.login_intro"))),
    error,
    h("div", { class: "field" }, h("label", { for: "username" }, t("common.username")), username),
    h("div", { class: "field" }, h("label", { for: "password" }, t("common.password")), password),
    submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!username.value.trim() || !password.value) {
      error.textContent = t("phone.login_fill_both");
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    submit.textContent = t("common.logging_in");
    try {
      await session.logIn(username.value.trim(), password.value);
      await app.signedIn(await api("/me"));
      app.go("#/firms");
    } catch (err) {
      const messages = {
        credentials: () => t("common.bad_credentials"),
        locked: () => t("common.locked_out", { wait: formatWait(err.retryAfter) }),
        network: () => t("common.network_error"),
      };
      error.textContent = (messages[err.kind] || (() => err.explain ? err.explain()
        : t("common.server_error")))();
      error.hidden = false;
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = t("common.log_in");
    }
  });
  root.append(form, h("p", { class: "muted small center" }, t("phone.login_footer")));
  (app.me?.username ? password : username).focus();
}
