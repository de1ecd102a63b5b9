// /track: tracking number + check code → the timeline, without an account. A link may carry
// both in its fragment (#no=…&code=…), which never reaches a server log.
import { api } from "/web/static/api.js";
import { t } from "/web/static/i18n.js";
import { formatWait } from "/web/static/format.js";
import { renderTimeline } from "./timeline.js";

const form = document.getElementById("track-form");
const error = document.getElementById("track-error");
const root = document.getElementById("timeline");

function explain(err) {
  if (err.status === 404) return t("firm.track_no_match");
  if (err.status === 422) return t("firm.track_fill_both");
  if (err.status === 429) return t("firm.track_too_many", { wait: formatWait(err.retryAfter || 60) });
  return err.explain();
}

async function look(number, code) {
  error.hidden = true;
  root.replaceChildren();
  try {
    const view = await api("/track", { method: "POST", auth: false,
      body: { tracking_no: number.trim(), check_code: code.trim() } });
    renderTimeline(root, view);
    root.querySelector("h2")?.focus?.();
  } catch (err) {
    error.textContent = err.explain ? explain(err) : String(err);
    error.hidden = false;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const number = form.tracking_no.value, code = form.check_code.value;
  if (!number.trim() || !code.trim()) {
    error.textContent = t("firm.track_fill_both");
    error.hidden = false;
    return;
  }
  look(number, code);
});

const given = new URLSearchParams(window.location.hash.slice(1));
if (given.get("no") && given.get("code")) {
  form.tracking_no.value = given.get("no");
  form.check_code.value = given.get("code");
  look(given.get("no"), given.get("code"));
}
