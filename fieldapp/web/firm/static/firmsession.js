// The logged-in firm area (/firm/…): a session (resumed or logged in here), the user must be a
// firm user; the log-out button in the top bar.
import { api } from "/web/static/api.js";
import * as session from "/web/static/session.js";
import { t } from "/web/static/i18n.js";
import { el } from "./timeline.js";
import { logInForm, resume } from "./login.js";

export async function firmUser(root) {
  const kept = [...root.childNodes];
  if (!(await resume({ always: true }))) {
    await logInForm(root, { intro: t("firm.firm_log_in_intro_pages") });
  }
  const me = await api("/me");
  if (!me.roles.includes("firm") || !me.firm_id) {
    root.replaceChildren(el("p", { class: "notice notice-bad", role: "alert" }, t("firm.not_a_firm_user")));
    throw new Error("not a firm user");
  }
  root.replaceChildren(...kept);
  const out = document.getElementById("log-out");
  if (out) {
    out.hidden = false;
    out.addEventListener("click", async () => {
      localStorage.removeItem("fieldapp.firm_pages_session");
      await session.logOut();
      window.location.reload();
    });
  }
  return me;
}
