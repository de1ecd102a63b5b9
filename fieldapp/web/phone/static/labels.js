// Display words for the API's codes, from the catalogue (no rule lives here).
import { t } from "/web/static/i18n.js";

export const STAGES = ["signed", "landed", "construction", "completed", "operating"];

const known = (prefix, code) => {
  const key = `phone.${prefix}_${code}`;
  const text = t(key);
  return text === key ? code : text;
};

export const stage = (code) => known("stage", code);
export const purpose = (code) => known("purpose", code);
export const verdict = (code) => known("verdict", code);
export const status = (code) => known("status", code);
export const dueState = (code) => known("due", code);
export const flag = (code) => known("flag", code);
export const reason = (code) => known("reason", code);
export const outboxState = (code) => known("outbox", code);
export const issueState = (code) => known("issue", code);

export const VERDICT_BADGE = { verified: "badge-ok", out_of_range: "badge-bad",
                               inconclusive: "badge-warn" };
export const STATUS_BADGE = { accepted: "badge-ok", approved: "badge-ok",
                              needs_review: "badge-warn", rejected: "badge-bad" };
export const DUE_BADGE = { met: "badge-ok", pending_review: "badge-info", due: "badge-warn",
                           overdue: "badge-bad" };
export const OUTBOX_BADGE = { queued: "badge-warn", sending: "badge-info", stored: "badge-ok",
                              rejected: "badge-bad", conflict: "badge-bad" };
