// File a visit: the live position with its accuracy against the target, the distance to the
// site, the verdict the server will give (POST /visits/preview), purpose, notes, issues raised
// on the spot, photos from the camera. On submit the visit goes into the outbox (IndexedDB)
// first, then is sent.
//
// The position is evidence: there is no pin to drag and no way to type one. Without any
// position (permission denied, no signal) a visit cannot be filed: the page says why and what
// to do, and keeps what was typed.
import { api } from "/web/static/api.js";
import { t } from "/web/static/i18n.js";
import { h, mount } from "/web/static/dom.js";
import { formatDistance } from "/web/static/format.js";
import * as store from "../store.js";
import * as labels from "../labels.js";
import * as position from "../position.js";
import * as outbox from "../outbox.js";
import { rowOf } from "./target.js";
import { drawMap } from "../map.js";

const PURPOSES = ["routine", "issue_followup", "policy", "project_stage", "other"];
const PREVIEW_EVERY_MS = 4000;

async function categories() {
  try {
    const list = await api("/issue-categories");
    await store.cache("categories", list);
    return list;
  } catch (err) {
    return (await store.cached("categories"))?.value || [];
  }
}

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function show(root, app, kind, id) {
  const row = await rowOf(kind, id);
  app.setTitle(t("phone.file_title"), { backTo: `#/target/${kind}/${id}` });
  if (!row) {
    root.append(h("div", { class: "notice notice-warn" }, t("phone.target_unknown")));
    return null;
  }
  let fix = null;
  let lastPreviewAt = 0;
  let previewTimer = null;
  const photos = [];

  // --- position -------------------------------------------------------------------------
  const accuracyLine = h("p", { id: "accuracy", class: "accuracy" }, t("phone.locating"));
  const distanceLine = h("p", { id: "distance", class: "muted" });
  const verdictBox = h("div", { id: "preview", "aria-live": "polite" });
  const problemBox = h("div", { id: "position-problem", role: "alert" });
  const mapBox = h("div", { class: "map map-small", role: "region", "aria-label": t("phone.map_label") });
  const positionCard = h("section", { class: "card" },
    h("div", { class: "card-title" }, h("h2", {}, row.target_name)),
    accuracyLine, distanceLine, problemBox, verdictBox, mapBox);

  // --- the form -------------------------------------------------------------------------
  const purpose = h("select", { id: "purpose" }, PURPOSES.map((p) => h("option", { value: p }, labels.purpose(p))));
  if (kind === "project") purpose.value = "project_stage";
  const notes = h("textarea", { id: "notes", maxlength: "5000", placeholder: t("phone.notes_placeholder") });
  const issueList = h("div", { id: "issues" });
  const cats = await categories();
  const addIssue = () => {
    const n = issueList.children.length;
    if (n >= 10) return;
    const idBase = `issue-${n}`;
    const category = h("select", { id: `${idBase}-category` }, cats.map((c) => h("option", { value: c.code }, c.name)));
    const titleInput = h("input", { type: "text", id: `${idBase}-title`, maxlength: "200", required: true });
    const block = h("fieldset", { class: "issue" },
      h("legend", {}, t("phone.issue_n", { n: n + 1 })),
      h("div", { class: "field" }, h("label", { for: `${idBase}-category` }, t("phone.issue_category")), category),
      h("div", { class: "field" }, h("label", { for: `${idBase}-title` }, t("phone.issue_title")), titleInput),
      h("button", { type: "button", class: "btn-link", onClick: () => block.remove() }, t("phone.issue_remove")));
    issueList.append(block);
    titleInput.focus();
  };
  const photoInput = h("input", { type: "file", id: "photos", accept: "image/*", capture: "environment", multiple: true, class: "visually-hidden" });
  const photoList = h("ul", { class: "photo-list", id: "photo-list" });
  photoInput.addEventListener("change", async () => {
    for (const file of photoInput.files) {
      if (photos.length >= 9) break;
      // The original bytes as the camera wrote them: never re-encoded (the EXIF stays).
      photos.push({ name: file.name, type: file.type || "image/jpeg", data: await file.arrayBuffer() });
    }
    photoInput.value = "";
    mount(photoList, photos.map((p, i) => h("li", { class: "row spread" },
      h("span", {}, p.name),
      h("button", { type: "button", class: "btn-link", onClick: () => { photos.splice(i, 1); photoInput.dispatchEvent(new Event("change")); } }, t("common.delete")))));
  });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block", id: "submit", disabled: true }, t("phone.submit"));
  const formError = h("div", { role: "alert" });
  const form = h("form", { class: "card", id: "visit-form", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "purpose" }, t("phone.purpose")), purpose),
    h("div", { class: "field" }, h("label", { for: "notes" }, t("phone.notes")), notes),
    h("div", { class: "field" }, h("div", { class: "label" }, t("phone.issues_raised")), issueList,
      h("button", { type: "button", class: "btn", id: "add-issue", onClick: addIssue }, t("phone.issue_add"))),
    h("div", { class: "field" }, h("div", { class: "label" }, t("phone.photos")), photoList,
      h("label", { for: "photos", class: "btn" }, t("phone.photo_add")), photoInput,
      h("p", { class: "hint" }, t("phone.photo_hint"))),
    formError, submit,
    h("p", { class: "hint center" }, t("phone.submit_hint")));
  root.append(positionCard, form);

  const map = await drawMap(mapBox, { sites: row.sites });

  const bodyFor = (clientId, capturedAt) => ({
    client_id: clientId, [`${kind}_id`]: Number(id), captured_at: capturedAt,
    position: position.positionBody(fix), purpose: purpose.value,
    notes: notes.value.trim() || null, offline: !navigator.onLine,
    issues: [...issueList.querySelectorAll("fieldset")].map((f) => ({
      category: f.querySelector("select").value, title: f.querySelector("input").value.trim() }))
      .filter((i) => i.title),
  });

  const preview = async () => {
    clearTimeout(previewTimer);
    if (!fix) return;
    if (!navigator.onLine) {
      mount(verdictBox, h("div", { class: "notice" }, t("phone.preview_offline")));
      return;
    }
    lastPreviewAt = Date.now();
    try {
      const body = bodyFor(undefined, new Date().toISOString());
      delete body.client_id;
      body.issues = [];
      const v = await api("/visits/preview", { method: "POST", body, timeout: 8000 });
      mount(distanceLine, t("phone.distance_to_site", { distance: formatDistance(v.distance_m), radius: formatDistance(v.radius_m) }));
      const good = v.status === "accepted";
      mount(verdictBox, h("div", { class: `notice ${good ? "notice-ok" : "notice-warn"}`, id: "expected" },
        h("strong", {}, t(good ? "phone.expect_accepted" : "phone.expect_review")),
        h("div", {}, labels.verdict(v.verdict)),
        v.flags.length ? h("ul", { class: "flags" }, v.flags.map((f) => h("li", {}, labels.flag(f)))) : null));
    } catch (err) {
      if (err.status === 422 || err.status === 403 || err.status === 404) {
        mount(verdictBox, h("div", { class: "notice notice-bad" }, err.explain()));
      } else {
        mount(verdictBox, h("div", { class: "notice" }, t("phone.preview_unavailable")));
      }
    }
  };

  const onFix = (newFix) => {
    fix = newFix;
    mount(problemBox);
    const accuracy = Math.round(fix.coords.accuracy);
    const good = accuracy <= position.TARGET_ACCURACY_M;
    mount(accuracyLine,
      h("span", { class: `badge ${good ? "badge-ok" : "badge-warn"}` }, t("phone.accuracy_now", { n: accuracy })), " ",
      good ? t("phone.accuracy_good", { n: position.TARGET_ACCURACY_M }) : t("phone.accuracy_waiting", { n: position.TARGET_ACCURACY_M }));
    if (row.sites.length) {
      const nearest = Math.min(...row.sites.map((s) => position.roughDistance(fix.coords.latitude, fix.coords.longitude, s.lat, s.lon)));
      if (!distanceLine.textContent) mount(distanceLine, t("phone.distance_rough", { distance: formatDistance(nearest) }));
    }
    map?.setHere(fix);
    submit.disabled = false;
    const wait = PREVIEW_EVERY_MS - (Date.now() - lastPreviewAt);
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, Math.max(0, wait));
  };
  const onError = (err) => {
    if (fix && err.code === 3) return; // a slow update; the last position still stands
    const key = err.code === 1 ? "phone.position_denied" : err.code === 3 ? "phone.position_timeout" : "phone.position_unavailable";
    mount(problemBox, h("div", { class: "notice notice-bad" },
      h("strong", {}, t(key)), h("p", {}, t(`${key}_help`)), h("p", {}, t("phone.no_position_no_visit"))));
    mount(accuracyLine, t("phone.no_position"));
    if (!fix) submit.disabled = true;
  };
  const stop = position.watch(onFix, onError);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!fix) return;
    submit.disabled = true;
    const clientId = newClientId();
    const body = bodyFor(clientId, new Date().toISOString());
    try {
      await outbox.add({ body, target: { kind, id: Number(id), name: row.target_name }, photos });
    } catch (err) {
      mount(formError, h("div", { class: "notice notice-bad" }, t("phone.storage_failed")));
      submit.disabled = false;
      return;
    }
    outbox.sendAll();
    app.go(`#/result/${clientId}`);
  });

  return () => { stop(); clearTimeout(previewTimer); map?.remove(); };
}
