// Who I am, the storage state, and log-out (which warns while visits are unsent).
import * as session from "/web/static/session.js";
import { t } from "/web/static/i18n.js";
import { h, mount } from "/web/static/dom.js";
import * as outbox from "../outbox.js";

export async function show(root, app) {
  app.setTitle(t("phone.me_title"));
  const me = app.me;
  const warn = h("div", { id: "logout-warning", role: "alertdialog", "aria-labelledby": "logout-warning-text", hidden: true, class: "notice notice-bad" });
  const logout = h("button", { type: "button", class: "btn btn-danger btn-block", id: "logout" }, t("common.log_out"));
  const finish = async () => {
    try { await session.logOut(); } catch (err) { /* offline: the cookie expires by itself */ }
    await app.signedOut();
  };
  logout.addEventListener("click", async () => {
    const unsent = await outbox.unsentCount();
    if (!unsent) { await finish(); return; }
    mount(warn,
      h("p", { id: "logout-warning-text" }, h("strong", {}, t("phone.logout_unsent", { n: unsent }))),
      h("p", {}, t("phone.logout_unsent_help")),
      h("div", { class: "row" },
        h("a", { class: "btn btn-primary", href: "#/outbox" }, t("phone.nav_outbox")),
        h("button", { type: "button", class: "btn btn-danger", id: "logout-anyway", onClick: finish }, t("phone.logout_anyway"))));
    warn.hidden = false;
  });
  root.append(h("section", { class: "card" },
    h("h2", {}, me.display_name || me.username),
    h("dl", { class: "facts" },
      h("dt", {}, t("common.username")), h("dd", {}, me.username),
      h("dt", {}, t("phone.roles")), h("dd", {}, (me.roles || []).map((r) => t(`phone.role_${r}`)).join("、")))),
  // One gap between the actions and the hint below them (a hidden warning takes none).
  h("div", { class: "stack" },
    // The e-credential (电子亮证) page is served by the firm pages' blueprint at /app/credential.
    h("a", { class: "btn btn-primary btn-block", href: "/app/credential", id: "show-credential" },
      t("phone.show_credential")),
    warn, logout,
    h("p", { class: "muted small" }, t("phone.install_hint"))));
}
