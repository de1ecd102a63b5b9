// The message catalogue for scripts: the page embeds the messages it needs as JSON
// (<script type="application/json" id="fieldapp-messages">, written by base.html).

const element = document.getElementById("fieldapp-messages");
const messages = element ? JSON.parse(element.textContent) : {};

export const lang = document.documentElement.lang || "zh-CN";

// t("common.log_in"), t("common.metres", {n: 30}). A missing key shows the key, loudly.
export function t(key, params) {
  const text = messages[key];
  if (text === undefined) {
    console.error(`message ${key} is not in the catalogue`);
    return key;
  }
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : match);
}

// Fill every [data-i18n="key"] element under root with its message (text only, never HTML).
export function translate(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}
