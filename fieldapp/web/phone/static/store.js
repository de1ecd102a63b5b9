// IndexedDB through idb: the outbox (every visit until the server has it) and a cache of what
// the app last read (my firms, the categories, who I am) for when there is no connection.
// Tokens are never stored here.

const root = document.getElementById("app");
const { openDB } = await import(root.dataset.idb);

const db = await openDB("fieldapp-phone", 1, {
  upgrade(database) {
    const outbox = database.createObjectStore("outbox", { keyPath: "client_id" });
    outbox.createIndex("user_id", "user_id");
    database.createObjectStore("cache", { keyPath: "key" });
  },
});

export async function putItem(item) {
  item.updated_at = new Date().toISOString();
  await db.put("outbox", item);
  return item;
}

export function getItem(clientId) {
  return db.get("outbox", clientId);
}

// Change some fields of an item in one transaction; returns the new item (or undefined).
export async function updateItem(clientId, changes) {
  const tx = db.transaction("outbox", "readwrite");
  const item = await tx.store.get(clientId);
  if (item) {
    Object.assign(item, changes, { updated_at: new Date().toISOString() });
    await tx.store.put(item);
  }
  await tx.done;
  return item;
}

export function deleteItem(clientId) {
  return db.delete("outbox", clientId);
}

// A user's items, newest first.
export async function items(userId) {
  const all = await db.getAllFromIndex("outbox", "user_id", userId);
  return all.sort((a, b) => b.created_at.localeCompare(a.created_at));
}

export async function cached(key) {
  const entry = await db.get("cache", key);
  return entry ? entry : null;
}

export function cache(key, value) {
  return db.put("cache", { key, value, saved_at: new Date().toISOString() });
}

export function forget(key) {
  return db.delete("cache", key);
}
