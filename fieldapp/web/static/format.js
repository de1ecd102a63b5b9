// Display formats: times in Asia/Shanghai (whatever the phone's zone), distances in metres.
import { lang, t } from "./i18n.js";

const TIME_ZONE = "Asia/Shanghai";
const dateTime = new Intl.DateTimeFormat(lang, {
  timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hour12: false,
});
const dateOnly = new Intl.DateTimeFormat(lang, {
  timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit",
});
const clockTime = new Intl.DateTimeFormat("en-GB", {
  timeZone: TIME_ZONE, hourCycle: "h23", hour: "2-digit", minute: "2-digit", second: "2-digit",
});

export function formatDateTime(value) {
  if (!value) return t("common.none");
  return dateTime.format(value instanceof Date ? value : new Date(value));
}

export function formatDate(value) {
  if (!value) return t("common.none");
  // A bare date (2026-12-03) is a calendar day: show it as is, without a time-zone shift.
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return dateOnly.format(new Date(`${value}T12:00:00+08:00`));
  }
  return dateOnly.format(value instanceof Date ? value : new Date(value));
}

// An issue deadline (the API's instant). A deadline in working days is the end of a day, which
// the API stores as 00:00 of the next: shown as that, a firm reads one day more. So a deadline at
// exactly local midnight is shown as the day it ends ("2026/12/04 24:00 前"), any other (hours
// for urgent issues, pushed back by a suspension) as the moment it is. Display only: the API
// keeps the rule, and countdowns still count to the instant.
export function formatDeadline(value) {
  if (!value) return t("common.none");
  const at = value instanceof Date ? value : new Date(value);
  const midnight = at.getUTCMilliseconds() === 0 && clockTime.format(at) === "00:00:00";
  if (!midnight) return dateTime.format(at);
  return t("common.deadline_end_of_day", { date: dateOnly.format(new Date(at.getTime() - 1)) });
}

export function formatDistance(metres) {
  if (metres === null || metres === undefined) return t("common.none");
  if (metres < 1000) return t("common.metres", { n: Math.round(metres) });
  return t("common.kilometres", { n: (metres / 1000).toFixed(metres < 10000 ? 1 : 0) });
}

// "in 14 min" for a 429's Retry-After seconds.
export function formatWait(seconds) {
  const s = Math.max(1, Math.ceil(seconds));
  return s >= 60 ? t("common.wait_minutes", { n: Math.ceil(s / 60) })
    : t("common.wait_seconds", { n: s });
}
