/* idtool phone page: the offline queue. Every photo waits in IndexedDB with its
 * Idempotency-Key until the server has answered; delivery retries with backoff, one flush
 * at a time (across tabs with the Web Locks API), photos before originals. */

import { $ } from "./dom.js";
import { _ } from "./i18n.js";
import { retryable, sendForm, token } from "./api.js";
import { askToken, current, originalProgress, refused, remember, render, showOriginal } from "./app.js";

export const TICK_MS = 5000; // how often the queue is looked at; each item has its own backoff
export const BACKOFF_MS = [5000, 15000, 30000, 60000, 120000, 300000];

export let flushing = false;
export let flushAgain = false; // a flush was asked for while one was running
export const inflight = new Set(); // idempotency keys being sent right now (never sent twice at once)

/* ---------- IndexedDB queue ----------
 * item: {key, blob, filename, fields, created, stage: "identify" | "original",
 *        original (Blob, when blob is a working copy), originalKey, recordId,
 *        attempts, nextTry} */
export function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open("idtool", 1);
    req.onupgradeneeded = () => req.result.createObjectStore("queue", { keyPath: "key" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
export async function queueOp(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction("queue", mode);
    const req = fn(tx.objectStore("queue"));
    tx.oncomplete = () => { db.close(); resolve(req && req.result); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  });
}
export const queuePut = (item) => queueOp("readwrite", (s) => s.put(item));
export const queueDelete = (key) => queueOp("readwrite", (s) => s.delete(key));
export const queueAll = () => queueOp("readonly", (s) => s.getAll());
export const stageOf = (item) => item.stage || "identify";

export async function showQueue() {
  const items = await queueAll();
  const q = $("queue");
  q.hidden = items.length === 0;
  const photos = items.filter((i) => stageOf(i) === "identify").length;
  const originals = items.length - photos;
  const parts = [];
  if (photos) {
    parts.push(photos === 1 ? _("1 photo is waiting to be sent.")
      : _("{n} photos are waiting to be sent.", { n: photos }));
  }
  if (originals) {
    parts.push(originals === 1 ? _("1 original photo is still to follow its result.")
      : _("{n} original photos are still to follow their results.", { n: originals }));
  }
  if (parts.length) {
    const one = photos + originals === 1;
    parts.push(navigator.onLine
      ? (one ? _("It will go shortly.") : _("They will go shortly."))
      : (one ? _("It will go as soon as the network is back.") : _("They will go as soon as the network is back.")));
  }
  q.textContent = parts.join(" ");
}

/* Send the item's next step. {done: the item left the queue, status, body, item}. */
export async function deliver(item, onProgress) {
  const identify = stageOf(item) === "identify";
  const out = identify
    ? await sendForm("POST", "/identifications", item.key, item.blob, item.filename,
      Object.assign({}, item.fields, item.original ? { original_pending: "1" } : {}), onProgress)
    : await sendForm("PUT", `/identifications/${item.recordId}/original`, item.originalKey,
      item.original, item.filename, {}, onProgress);
  if (retryable(out.status) || out.status === 401) {
    item.attempts = (item.attempts || 0) + 1;
    item.nextTry = Date.now() + BACKOFF_MS[Math.min(item.attempts, BACKOFF_MS.length) - 1];
    await queuePut(item);
    return Object.assign(out, { done: false, item });
  }
  if (identify && out.status === 201 && item.original) {
    // the answer is in; the original is still to follow, attached to this record
    Object.assign(item, { stage: "original", recordId: out.body.id, blob: null, attempts: 0, nextTry: 0 });
    await queuePut(item);
    return Object.assign(out, { done: false, item });
  }
  await queueDelete(item.key); // delivered, or truly refused
  return Object.assign(out, { done: true, item });
}

/* Send what is queued: photos still waiting for an answer first (oldest first), then
 * originals. One flush at a time in this page, and (where the Web Locks API exists) one
 * at a time across tabs, so an item is never sent twice at once; the idempotency keys
 * make even a repeat harmless on the server. `now` ignores the backoff (back online). */
export async function flushQueue(now = false) {
  if (!token() || !navigator.onLine) return; // the "online" event calls us again
  if (flushing) { flushAgain = true; return; }
  flushing = true;
  try {
    do {
      flushAgain = false;
      const run = () => flushOnce(now);
      if (navigator.locks) await navigator.locks.request("idtool-queue", run);
      else await run();
      now = false;
    } while (flushAgain && navigator.onLine);
  } finally {
    flushing = false;
    showQueue();
  }
}

export async function flushOnce(now) {
  const rank = (i) => (stageOf(i) === "identify" ? 0 : 1);
  const items = (await queueAll()).sort((a, b) => rank(a) - rank(b) || a.created - b.created);
  for (const item of items) {
    if (inflight.has(item.key)) continue; // being sent by onSubmit
    if (!now && item.nextTry && item.nextTry > Date.now()) continue;
    if (!token() || !navigator.onLine) break;
    const stage = stageOf(item);
    const analysed = item.blob; // deliver() drops it once the original is what is left
    inflight.add(item.key);
    let out;
    try {
      out = await deliver(item, stage === "original" ? (f) => originalProgress(item.recordId, f) : null);
    } finally { inflight.delete(item.key); }
    if (out.status === 401) {
      askToken(_("Your token was refused. Enter a valid token; queued photos are kept."));
      break;
    }
    if (retryable(out.status)) {
      if (stage === "original") originalProgress(item.recordId, null);
      break; // the link is down or the server busy: the rest waits too
    }
    if (stage === "identify" && out.status === 201) {
      remember(out.body);
      // a queued photo's answer: shown, but not pulled into view while the officer types
      const typing = ["INPUT", "TEXTAREA", "SELECT"].includes((document.activeElement || {}).tagName);
      render(out.body, analysed, item.original, !typing);
      $("upload-status").textContent = _("A queued photo was sent.");
      if (item.original) flushAgain = true; // its original next
    } else if (stage === "original" && out.status === 200) {
      remember(out.body);
      if (current && current.record.id === out.body.id) {
        current.record = out.body;
        showOriginal(out.body);
      }
    } else {
      await refused(item, out.status, out.body, stage);
    }
  }
}
