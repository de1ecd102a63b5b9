// The outbox: no visit is ever lost.
//
// A visit is written to IndexedDB (with its photos' original bytes) before any network call,
// under a client_id made once on the phone. Filing is idempotent by client_id, so sending again
// after a timeout or a dropped connection never doubles a visit. States: queued → sending →
// stored (with the server's verification) | rejected (4xx: kept with the reason until the user
// deletes it, or fixes the refused fields and sends it again) | conflict (409). Sent on
// submit, on the "online" event, on page load and by "send now"; more than one goes through
// /visits/batch; photos follow once their visit is stored. Two tabs never send at once
// (navigator.locks where it exists).

import { api } from "/web/static/api.js";
import * as store from "./store.js";
import { codeOf } from "./refusal.js";

const LOCK = "fieldapp-outbox-send";
const RETRY_MS = 30000;
const batchMax = Number(document.getElementById("app").dataset.batchMax) || 200;

let userId = null;
let running = null;
let retryTimer = null;

export const UNSENT = new Set(["queued", "sending"]);

export function setUser(id) {
  userId = id;
}

function changed() {
  window.dispatchEvent(new CustomEvent("fieldapp:outbox"));
}

// Store a new visit; it is safe on the phone before anything is sent.
export async function add({ body, target, photos }) {
  const item = {
    client_id: body.client_id, user_id: userId, target, body,
    photos: photos.map((p) => ({ name: p.name, type: p.type, data: p.data, state: "waiting" })),
    state: "queued", attempts: 0, created_at: new Date().toISOString(),
    visit_id: null, verification: null, error: null,
  };
  await store.putItem(item);
  // Ask the browser not to clear the outbox under storage pressure (granted or not, the
  // outbox screen says which, and warns not to clear the browser's data meanwhile).
  if (navigator.storage?.persist) navigator.storage.persist().catch(() => {});
  changed();
  return item;
}

export function items() {
  return userId === null ? Promise.resolve([]) : store.items(userId);
}

function photosWaiting(item) {
  return item.state === "stored" && item.photos.some((p) => p.state === "waiting");
}

// Refused by the server: kept on the phone until the user fixes or deletes them.
export const REFUSED = new Set(["rejected", "conflict"]);

// What the server does not have yet: unsent visits, refused ones (the badge must show them:
// a batch sent on the "online" event can be refused with no one watching, and log-out must
// warn about them too) and photos of stored ones.
export async function unsentCount() {
  return (await items()).filter((i) => UNSENT.has(i.state) || REFUSED.has(i.state)
                                       || photosWaiting(i)).length;
}

export async function remove(clientId) {
  const item = await store.getItem(clientId);
  if (item && item.user_id === userId && !UNSENT.has(item.state)) {
    await store.deleteItem(clientId);
    changed();
  }
}

// A refused visit, fixed by the user, goes back in the queue under the same client_id: the
// server stored nothing of it (a 4xx stores nothing), so the id is still free, and a resend
// after a lost answer still finds the one copy. Only what the user may change changes; the
// position and the time are evidence. It is no longer filed live, so it goes as offline.
export async function resend(clientId, { target, purpose, notes, issues }) {
  const item = await store.getItem(clientId);
  if (!item || item.user_id !== userId || item.state !== "rejected") return false;
  const body = { ...item.body, purpose, notes, issues };
  delete body.firm_id;
  delete body.project_id;
  body[`${target.kind}_id`] = target.id;
  await store.updateItem(clientId, { body, target, state: "queued", error: null,
                                     attempts: item.attempts + 1, last_error: null });
  changed();
  // A run already under way took its list before this item was queued: run once more after it.
  if (running) running.then(sendAll); else sendAll();
  return true;
}

export function sendAll() {
  if (userId === null) return Promise.resolve();
  if (!running) {
    const run = navigator.locks ? navigator.locks.request(LOCK, sendNow) : sendNow();
    running = run.finally(() => { running = null; });
  }
  return running;
}

function errorOf(err) {
  return { status: err.status, code: codeOf(err), detail: err.problem?.detail || null,
           errors: err.problem?.errors || null, text: err.explain() };
}

// Kept with the item: the verdict, and the issues raised with their tracking numbers and
// check codes, which the visitor hands to the firm (the result screen shows them).
async function stored(item, id, verification, issues) {
  await store.updateItem(item.client_id, { state: "stored", visit_id: id, verification,
                                           issues: issues || [], error: null });
}

// A visit sent again after a failed attempt was not filed live: say so, so the server relaxes
// its clock checks. "offline" is not part of the content, so the replay stays the same visit.
function bodyOf(item) {
  return item.attempts > 0 ? { ...item.body, offline: true } : item.body;
}

async function sendOne(item) {
  try {
    const visit = await api("/visits", { method: "POST", body: bodyOf(item) });
    await stored(item, visit.id, visit.verification, visit.issues);
  } catch (err) {
    if (err.transient || err.status === 401 || !err.status) throw err;
    await store.updateItem(item.client_id, {
      state: err.status === 409 ? "conflict" : "rejected", error: errorOf(err),
      visit_id: err.problem?.visit_id ?? null,
    });
  }
}

const RESULT_STATE = { conflict: "conflict" };

async function sendBatch(batch) {
  const answer = await api("/visits/batch", { method: "POST",
                                              body: { visits: batch.map(bodyOf) } });
  for (const result of answer.results) {
    const item = batch[result.index];
    if (result.result === "created" || result.result === "duplicate") {
      await stored(item, result.id, result.verification, result.issues);
    } else {
      await store.updateItem(item.client_id, {
        state: RESULT_STATE[result.result] || "rejected", visit_id: result.id ?? null,
        error: { status: result.status, code: result.result, detail: result.detail || null,
                 errors: result.errors || null, text: result.detail || null },
      });
    }
  }
}

async function uploadPhotos(item) {
  for (let index = 0; index < item.photos.length; index += 1) {
    const photo = item.photos[index];
    if (photo.state !== "waiting") continue;
    const form = new FormData();
    // The original bytes, never re-encoded: the server reads their EXIF time and place.
    form.append("file", new Blob([photo.data], { type: photo.type }), photo.name);
    let state = "uploaded";
    let error = null;
    try {
      await api(`/visits/${item.visit_id}/photos`, { method: "POST", body: form, timeout: 60000 });
    } catch (err) {
      if (err.transient || err.status === 401) throw err;
      state = "refused";
      error = err.explain();
    }
    const current = await store.getItem(item.client_id);
    current.photos[index] = { ...current.photos[index], state, error };
    if (state === "uploaded") current.photos[index].data = null; // the server has the bytes
    await store.putItem(current);
    changed();
  }
}

async function sendNow() {
  clearTimeout(retryTimer);
  let pending = (await items()).filter((i) => UNSENT.has(i.state)).reverse();  // oldest first
  try {
    while (pending.length) {
      const batch = pending.slice(0, batchMax);
      pending = pending.slice(batchMax);
      for (const item of batch) await store.updateItem(item.client_id, { state: "sending" });
      changed();
      try {
        if (batch.length === 1) await sendOne(batch[0]);
        else await sendBatch(batch);
      } catch (err) {
        for (const item of batch) {
          const current = await store.getItem(item.client_id);
          if (current?.state === "sending") {
            await store.updateItem(item.client_id, { state: "queued",
                                                     attempts: current.attempts + 1,
                                                     last_error: err.explain ? err.explain() : String(err) });
          }
        }
        throw err;
      } finally {
        changed();
      }
    }
    for (const item of await items()) {
      if (photosWaiting(item)) await uploadPhotos(item);
    }
  } catch (err) {
    if (err.status === 401) {
      window.dispatchEvent(new CustomEvent("fieldapp:login-needed"));
    } else {
      retryTimer = setTimeout(sendAll, RETRY_MS);
    }
  } finally {
    changed();
  }
}

// Items left "sending" by a page closed mid-request are sent again: filing is idempotent.
export async function recover() {
  for (const item of await items()) {
    if (item.state === "sending") await store.updateItem(item.client_id, { state: "queued" });
  }
}
