/* idtool phone page: token, capture, offline queue (IndexedDB), upload, result card.
 * Every photo gets an Idempotency-Key when it is taken; it is stored with the photo in
 * IndexedDB until the server answers, so a retry after a lost connection can never
 * create a second record. No build step, no dependencies. */
"use strict";

const API = "/api/v1";
const TOKEN_KEY = "idtool.token";
const RECENT_KEY = "idtool.recent";
const VOCAB_KEY = "idtool.vocabularies"; // + "." + language
const LANG_KEY = "idtool.lang";
const LANGS = ["en", "fr", "es"];
const RETRY_MS = 15000;
const $ = (id) => document.getElementById(id);

let current = null; // {record, blob} shown in the result card
let flushing = false;
let flushAgain = false; // a flush was asked for while one was running
const inflight = new Set(); // idempotency keys being sent right now (never sent twice at once)

/* ---------- language ----------
 * The page's strings are English in this file and in index.html (data-i18n); their French
 * and Spanish translations come from the server's gettext catalogs (GET /i18n/<lang>.json),
 * kept in localStorage for offline starts. Babel extracts every gettext call below. API
 * calls send Accept-Language so guidance and checks come back in the same language. */
let MESSAGES = {};
function _(msg, vars) {
  let s = MESSAGES[msg] || msg;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}
function lang() {
  const saved = localStorage.getItem(LANG_KEY);
  if (LANGS.includes(saved)) return saved;
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const code = String(tag).slice(0, 2).toLowerCase();
    if (LANGS.includes(code)) return code;
  }
  return "en";
}
const originals = new Map(); // element -> its English text and attributes
function applyStatic() {
  document.documentElement.lang = lang();
  $("lang").value = lang();
  for (const node of document.querySelectorAll("[data-i18n], [data-i18n-attr]")) {
    if (!originals.has(node)) {
      const attrs = {};
      for (const a of (node.dataset.i18nAttr || "").split(/\s+/).filter(Boolean)) attrs[a] = node.getAttribute(a);
      const text = node.hasAttribute("data-i18n") ? node.textContent.replace(/\s+/g, " ").trim() : null;
      originals.set(node, { text, attrs });
    }
    const o = originals.get(node);
    if (o.text) node.textContent = _(o.text);
    for (const [a, v] of Object.entries(o.attrs)) if (v) node.setAttribute(a, _(v));
  }
}
async function loadLanguage(code) {
  const key = "idtool.i18n." + code;
  const cached = code === "en" ? null : localStorage.getItem(key);
  MESSAGES = cached ? JSON.parse(cached).messages : {};
  applyStatic();
  if (code === "en") return;
  try {
    const r = await fetch(`/i18n/${code}.json`);
    if (!r.ok) return;
    const body = await r.json();
    localStorage.setItem(key, JSON.stringify(body));
    if (lang() === code) { MESSAGES = body.messages; applyStatic(); }
  } catch (e) { /* offline: the cached copy, or English */ }
}
async function chooseLanguage(code) {
  localStorage.setItem(LANG_KEY, code);
  await loadLanguage(code);
  setNet();
  showQueue();
  renderRecent();
  if (token()) loadVocabularies();
  if (current) render(current.record, current.blob);
}

/* ---------- small helpers ---------- */
function token() { return localStorage.getItem(TOKEN_KEY); }
function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
function pct(x) { return Math.round((x || 0) * 100) + "%"; }
function words(conf) {
  if (conf >= 0.9) return _("very likely");
  if (conf >= 0.7) return _("likely");
  if (conf >= 0.4) return _("possible");
  return _("unlikely");
}
// ranks and quality verdicts travel as English codes; these are their words
function rankName(rank) {
  const names = { species: _("species"), subspecies: _("subspecies"), genus: _("genus"), family: _("family"),
    order: _("order"), class: _("class"), material: _("material") };
  return names[rank] || rank || "";
}
function schregerName(classification) {
  return { elephant: _("elephant"), mammoth: _("mammoth"), indeterminate: _("indeterminate"),
    refused: _("not classified") }[classification] || classification;
}
function qualityName(verdict) {
  return { pass: _("pass"), warn: _("warn") }[verdict] || verdict;
}
function pretty(label) {
  if (!label) return "";
  return label.startsWith("material_") ? label.slice(9).replace(/_/g, " ") : label;
}

/* ---------- IndexedDB queue ---------- */
function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open("idtool", 1);
    req.onupgradeneeded = () => req.result.createObjectStore("queue", { keyPath: "key" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
async function queueOp(mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction("queue", mode);
    const req = fn(tx.objectStore("queue"));
    tx.oncomplete = () => { db.close(); resolve(req && req.result); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  });
}
const queuePut = (item) => queueOp("readwrite", (s) => s.put(item));
const queueDelete = (key) => queueOp("readwrite", (s) => s.delete(key));
const queueAll = () => queueOp("readonly", (s) => s.getAll());

async function showQueue() {
  const items = await queueAll();
  const q = $("queue");
  q.hidden = items.length === 0;
  if (items.length === 1) {
    q.textContent = navigator.onLine
      ? _("1 photo is waiting to be sent. It will go shortly.")
      : _("1 photo is waiting to be sent. It will go as soon as the network is back.");
  } else {
    q.textContent = navigator.onLine
      ? _("{n} photos are waiting to be sent. They will go shortly.", { n: items.length })
      : _("{n} photos are waiting to be sent. They will go as soon as the network is back.", { n: items.length });
  }
}

/* ---------- network ---------- */
/* The service worker (sw.js) keeps a copy of this page so it opens with no network.
 * Browsers only offer navigator.serviceWorker in a secure context: HTTPS, or
 * http://localhost / 127.0.0.1. Served over plain http on a LAN address the page still
 * works online (and queues offline) but will not open again without a network. */
function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  // The first visit is not controlled until the worker activates (it then claims the
  // page): ask for the pickers' lists again so the worker keeps a copy for offline starts.
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (token() && navigator.onLine) loadVocabularies();
  });
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((e) => {
    console.warn("service worker not registered:", e);
  });
}

function setNet() {
  const n = $("net");
  n.textContent = navigator.onLine ? _("online") : _("offline");
  n.classList.toggle("offline", !navigator.onLine);
}

function api(path, options = {}) {
  const headers = Object.assign({ Authorization: "Bearer " + token(), "Accept-Language": lang() }, options.headers || {});
  return fetch(API + path, Object.assign({}, options, { headers }));
}

/* Send one queued item with XHR (for upload progress). Resolves {status, body};
 * status 0 means the network failed and the item stays queued. */
function send(item, onProgress) {
  return new Promise((resolve) => {
    const form = new FormData();
    form.append("image", item.blob, item.filename || "photo.jpg");
    for (const [k, v] of Object.entries(item.fields)) if (v) form.append(k, v);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", API + "/identifications");
    xhr.setRequestHeader("Authorization", "Bearer " + token());
    xhr.setRequestHeader("Idempotency-Key", item.key);
    xhr.setRequestHeader("Accept-Language", lang());
    xhr.timeout = 120000;
    if (onProgress) xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = xhr.ontimeout = xhr.onabort = () => resolve({ status: 0, body: null });
    xhr.send(form);
  });
}

const retryable = (status) => status === 0 || status === 429 || status >= 500;

async function deliver(item, interactive) {
  const bar = $("progress");
  if (interactive) { bar.hidden = false; bar.firstElementChild.style.width = "0"; }
  const { status, body } = await send(item, interactive
    ? (f) => { bar.firstElementChild.style.width = Math.round(f * 100) + "%"; } : null);
  if (interactive) bar.hidden = true;
  if (retryable(status)) return { queued: true, status, body };
  await queueDelete(item.key);
  return { queued: false, status, body };
}

/* Send what is queued, oldest first. One flush at a time in this page, and (where the
 * Web Locks API exists) one at a time across tabs, so an item is never sent twice at
 * once; the idempotency key makes even a repeat harmless on the server. */
async function flushQueue() {
  if (!token() || !navigator.onLine) return; // the "online" event calls us again
  if (flushing) { flushAgain = true; return; }
  flushing = true;
  try {
    do {
      flushAgain = false;
      if (navigator.locks) await navigator.locks.request("idtool-queue", flushOnce);
      else await flushOnce();
    } while (flushAgain && navigator.onLine);
  } finally {
    flushing = false;
    showQueue();
  }
}

async function flushOnce() {
  const items = (await queueAll()).sort((a, b) => a.created - b.created);
  for (const item of items) {
    if (inflight.has(item.key)) continue; // being sent by onSubmit
    if (!token()) break;
    inflight.add(item.key);
    let out;
    try { out = await deliver(item, false); } finally { inflight.delete(item.key); }
    if (out.queued) break;
    if (out.status === 201) {
      remember(out.body);
      render(out.body, item.blob);
      $("upload-status").textContent = _("A queued photo was sent.");
    } else if (out.status === 401) {
      await queuePut(item); // keep it: the token is the problem, not the photo
      askToken(_("Your token was refused. Enter a valid token; queued photos are kept."));
      break;
    } else {
      $("upload-status").textContent = _("A queued photo was refused: {error}", { error: errorText(out.body) });
    }
  }
}

function errorText(body) {
  return body && body.error ? `${body.error.message} (${body.error.code})` : _("unexpected server answer");
}

/* ---------- token ---------- */
function askToken(message) {
  $("token-panel").hidden = false;
  $("upload-panel").hidden = true;
  const e = $("token-error");
  e.hidden = !message;
  e.textContent = message || "";
}

async function saveToken(ev) {
  ev.preventDefault();
  const value = $("token").value.trim();
  if (!value) return;
  localStorage.setItem(TOKEN_KEY, value);
  if (navigator.onLine) {
    try {
      const r = await api(vocabularyPath());
      if (r.status === 401) {
        localStorage.removeItem(TOKEN_KEY);
        askToken(_("This token is not valid (unknown or revoked)."));
        return;
      }
      if (r.ok) fillVocabularies(await r.json(), true);
    } catch (e) { /* offline: accept the token, check on first upload */ }
  }
  $("token").value = "";
  startUpload();
}

/* ---------- pickers ---------- */
// One URL per language, so the service worker keeps each language's list for offline starts.
function vocabularyPath() { return "/vocabularies?lang=" + lang(); }
function fillVocabularies(vocab, save) {
  if (!vocab) return;
  if (save) localStorage.setItem(VOCAB_KEY + "." + (vocab.lang || lang()), JSON.stringify(vocab));
  if (vocab.lang && vocab.lang !== lang()) return; // an answer for a language since left
  const list = $("countries");
  list.replaceChildren(...vocab.countries.map((c) => el("option", { value: c.code }, c.name)));
  for (const [id, items] of [["purpose", vocab.purposes], ["source", vocab.sources]]) {
    const select = $(id);
    select.replaceChildren(select.options[0],
      ...items.map((c) => el("option", { value: c.code }, `${c.code} – ${c.meaning}`)));
  }
}

async function loadVocabularies() {
  const cached = localStorage.getItem(VOCAB_KEY + "." + lang());
  if (cached) fillVocabularies(JSON.parse(cached), false);
  // Asked even offline: the service worker answers with the last list it saw.
  try {
    const r = await api(vocabularyPath());
    if (r.ok) fillVocabularies(await r.json(), true);
    else if (r.status === 401) askToken(_("Your token was refused. Enter a valid token."));
  } catch (e) { /* keep cached */ }
}

/* ---------- upload ---------- */
function startUpload() {
  $("token-panel").hidden = true;
  $("upload-panel").hidden = false;
  loadVocabularies();
  renderRecent();
  showQueue();
  flushQueue();
}

function onPhoto() {
  const file = $("image").files[0];
  $("submit").disabled = !file;
  const img = $("preview");
  if (file) {
    img.src = URL.createObjectURL(file);
    img.hidden = false;
    $("camera-text").hidden = true;
  }
}

async function onSubmit(ev) {
  ev.preventDefault();
  const file = $("image").files[0];
  if (!file) return;
  const fields = {};
  for (const name of ["case_ref", "origin_country", "export_country", "destination_country", "purpose", "source", "notes"]) {
    fields[name] = $(name).value.trim();
  }
  const item = { key: newKey(), blob: file, filename: file.name, fields, created: Date.now() };
  inflight.add(item.key); // a flush running meanwhile leaves this one to us
  let out;
  try {
    await queuePut(item); // first on the phone, then on the wire
    $("submit").disabled = true;
    $("upload-status").textContent = _("Sending…");
    out = await deliver(item, true);
  } finally {
    inflight.delete(item.key);
  }
  if (out.queued) {
    $("upload-status").textContent = out.status === 0
      ? _("No network: the photo is saved on this phone and will be sent automatically.")
      : _("The server is busy: the photo is saved and will be sent again shortly.");
  } else if (out.status === 201) {
    $("upload-status").textContent = "";
    remember(out.body);
    render(out.body, file);
    resetForm();
  } else if (out.status === 401) {
    await queuePut(item);
    askToken(_("Your token was refused. Enter a valid token; the photo is kept."));
  } else {
    $("upload-status").textContent = _("Refused: {error}", { error: errorText(out.body) });
  }
  $("submit").disabled = !$("image").files[0];
  showQueue();
}

function resetForm() {
  $("image").value = "";
  $("preview").hidden = true;
  $("camera-text").hidden = false;
  $("submit").disabled = true;
}

/* ---------- result card ---------- */
async function thumb(url, alt) {
  if (!url) return el("div", { class: "noimg" });
  const img = el("img", { alt });
  try {
    const r = await api(url.replace(API, ""));
    if (r.ok) img.src = URL.createObjectURL(await r.blob());
  } catch (e) { /* offline: leave blank */ }
  return img;
}

function verdict(ident) {
  if (ident.error) return el("div", { class: "verdict error" }, el("span", { class: "big" }, _("Could not analyse the photo")), ident.error.message);
  const conf = ident.confidence || 0;
  if (ident.decision === "identified") {
    const common = (ident.candidates.find((c) => c.label === ident.label) || {}).common_name;
    return el("div", { class: "verdict identified" },
      el("span", { class: "big" }, common || pretty(ident.label)),
      el("span", { class: ident.label.startsWith("material_") ? "" : "sci" }, pretty(ident.label)),
      " " + _("({rank}) – {words}, {percent} confidence", { rank: rankName(ident.rank), words: words(conf), percent: pct(conf) }));
  }
  if (ident.decision === "uncertain") {
    const or = _(", or ");
    return el("div", { class: "verdict uncertain" },
      el("span", { class: "big" }, _("Uncertain")),
      _("Could be {candidates}. Treat as the strictest candidate until checked.", {
        candidates: ident.candidates.slice(0, 3).map((c) => `${c.common_name || pretty(c.label)} (${pct(c.score)})`).join(or),
      }));
  }
  return el("div", { class: "verdict not_in_reference" },
    el("span", { class: "big" }, _("Not in the reference set")),
    _("The photo does not match any reference closely enough. Examine the item by hand or send it to a specialist."));
}

function listBlock(title, items, cls) {
  if (!items || items.length === 0) return null;
  const ul = el("ul", { class: "plain" }, items.map((t) => el("li", {}, t)));
  return cls ? el("div", { class: cls }, el("strong", {}, title), ul) : [el("h3", {}, title), ul];
}

async function render(record, blob) {
  current = { record, blob };
  const ident = record.identification;
  const g = record.guidance || {};
  const card = $("result");
  const appendix = g.prohibitions && g.prohibitions.length ? "prohibited" : (g.cites && g.cites.appendix) || "";
  const cands = el("ul", { class: "cands" });
  for (const c of ident.candidates || []) {
    const ref = (record.references || []).find((r) => r.label === c.label) || {};
    const li = el("li", {},
      el("div", { class: "noimg" }),
      el("div", {}, el("div", {}, c.common_name || pretty(c.label)),
        el("div", { class: "meta" }, pretty(c.label) + (c.rank ? ` · ${rankName(c.rank)}` : "")),
        el("div", { class: "bar-score" }, el("div", { style: `width:${pct(c.score)}` }))),
      el("span", { class: "score" }, pct(c.score)));
    cands.append(li);
    thumb(ref.thumbnail_url, _("reference photo of {label}", { label: c.label })).then((img) => li.firstChild.replaceWith(img));
  }
  const quality = ident.quality || {};
  const exif = (record.evidence && record.evidence.exif) || {};
  const recorded = [];
  if (exif.datetime_original) recorded.push(_("taken {when}", { when: exif.datetime_original.replace("T", " ") }));
  if (exif.make || exif.model) recorded.push(_("camera {camera}", { camera: [exif.make, exif.model].filter(Boolean).join(" ") }));
  if (exif.gps_latitude != null) recorded.push(`GPS ${exif.gps_latitude}, ${exif.gps_longitude}`);
  const schreger = record.forensics && record.forensics.schreger;
  const parts = [
    verdict(ident),
    quality.verdict && quality.verdict !== "pass" && quality.advice && quality.advice.length
      ? listBlock(_("Photo quality: {verdict}", { verdict: qualityName(quality.verdict) }), quality.advice, "warnbox") : null,
    el("h3", {}, _("Candidates")), cands,
    el("h3", {}, "CITES"),
    el("p", {}, appendix ? el("span", { class: "appendix " + appendix }, appendix === "prohibited" ? _("Prohibited") : _("Appendix {appendix}", { appendix })) : _("No CITES appendix found"),
      " ", g.matched_name ? _("for {name}", { name: g.matched_name }) : "", g.cites && g.cites.population ? ` (${g.cites.population})` : ""),
    g.cites && g.cites.annotation ? el("details", { class: "meta" }, el("summary", {}, _("Listing annotation")), g.cites.annotation) : null,
    listBlock(_("Prohibited"), g.prohibitions, "dangerbox"),
    listBlock(_("Permits needed"), g.permits),
    listBlock(_("Check"), g.officer_checks),
    listBlock(_("Next steps"), g.next_steps),
    listBlock(_("Warnings"), g.warnings, "warnbox"),
    schreger && schreger.applicable
      ? el("button", { type: "button", id: "open-schreger" }, _("Measure Schreger angles (ivory)")) : null,
    record.schreger ? el("p", {}, el("strong", {}, _("Schreger:") + " "), `${schregerName(record.schreger.classification)} – ${record.schreger.reason}`) : null,
    el("h3", {}, _("Evidence")),
    el("p", { class: "meta" },
      _("Record {id} · {when} · officer {officer}", { id: record.id, when: record.created_at, officer: record.officer }) +
      (record.case_ref ? " · " + _("case {ref}", { ref: record.case_ref }) : "")),
    el("p", { class: "meta" }, _("Photo stored unchanged, SHA-256 {sha256} ({bytes} bytes).", { sha256: record.evidence.sha256, bytes: record.evidence.bytes })),
    el("p", { class: "meta" }, recorded.length ? _("The photo recorded: {what}.", { what: recorded.join("; ") }) : _("The photo carried no time, camera or GPS data.")),
    el("p", { class: "meta" }, _("Model {model} · reference {reference} · listings {listings}", { model: record.versions.model_version, reference: record.versions.reference_version, listings: record.versions.listing_set })),
    el("p", { class: "disclaimer" }, g.disclaimer || _("Visual identification is probable cause, not proof.")),
  ];
  card.replaceChildren(...parts.flat().filter((p) => p !== null && p !== undefined && p !== false));
  card.hidden = false;
  const open = $("open-schreger");
  if (open) open.onclick = () => openSchreger();
  $("schreger").hidden = true;
  card.scrollIntoView({ behavior: "smooth", block: "start" });
}

/* ---------- recent ---------- */
function remember(record) {
  const list = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]").filter((r) => r.id !== record.id);
  const ident = record.identification;
  list.unshift({ id: record.id, at: record.created_at, what: ident.label ? pretty(ident.label) : ident.decision, case_ref: record.case_ref });
  localStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, 20)));
  renderRecent();
}
function renderRecent() {
  const list = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
  $("recent").replaceChildren(...(list.length ? list.map((r) => {
    const li = el("li", {}, `${r.at.slice(0, 16).replace("T", " ")} · ${r.what}` + (r.case_ref ? ` · ${r.case_ref}` : ""));
    li.onclick = async () => {
      const res = await api("/identifications/" + r.id);
      if (res.ok) render(await res.json(), null);
    };
    return li;
  }) : [el("li", { class: "hint" }, _("Nothing yet."))]));
}

/* ---------- Schreger tap-to-mark ---------- */
const marks = { points: [], image: null };
function openSchreger() {
  const section = $("schreger");
  section.hidden = false;
  marks.points = [];
  $("schreger-result").replaceChildren();
  const img = new Image();
  img.onload = () => { marks.image = img; drawMarks(); };
  if (current.blob) img.src = URL.createObjectURL(current.blob);
  else $("schreger-count").textContent = _("Open the photo on the phone that took it to measure.");
  section.scrollIntoView({ behavior: "smooth" });
}
function drawMarks() {
  const c = $("schreger-canvas");
  const img = marks.image;
  if (!img) return;
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const r = Math.max(4, img.naturalWidth / 150);
  ctx.lineWidth = Math.max(2, r / 2);
  marks.points.forEach((p, i) => {
    const k = i % 3;
    if (k > 0) {
      const v = marks.points[i - k];
      ctx.strokeStyle = "#ffeb3b";
      ctx.beginPath(); ctx.moveTo(v[0], v[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
    }
    ctx.fillStyle = k === 0 ? "#e53935" : "#ffeb3b";
    ctx.beginPath(); ctx.arc(p[0], p[1], r, 0, 2 * Math.PI); ctx.fill();
  });
  const angles = Math.floor(marks.points.length / 3);
  const next = [_("vertex"), _("point on the first line"), _("point on the second line")][marks.points.length % 3];
  $("schreger-count").textContent = _("{n} angle(s) marked. Next tap: {next}.", { n: angles, next });
  $("schreger-send").disabled = angles < 1;
}
function tapSchreger(ev) {
  const c = $("schreger-canvas");
  const rect = c.getBoundingClientRect();
  const x = (ev.clientX - rect.left) * (c.width / rect.width);
  const y = (ev.clientY - rect.top) * (c.height / rect.height);
  marks.points.push([Math.round(x * 10) / 10, Math.round(y * 10) / 10]);
  drawMarks();
}
async function sendSchreger() {
  const n = Math.floor(marks.points.length / 3);
  const triples = [];
  for (let i = 0; i < n; i++) triples.push(marks.points.slice(3 * i, 3 * i + 3));
  const r = await api(`/identifications/${current.record.id}/schreger`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ triples }),
  });
  const body = await r.json();
  if (!r.ok) { $("schreger-result").replaceChildren(el("p", { class: "error" }, errorText(body))); return; }
  const s = body.schreger;
  $("schreger-result").replaceChildren(
    el("p", {}, el("strong", {}, schregerName(s.classification)), ` – ${s.reason}`),
    el("p", { class: "meta" }, _("{n} angles, mean {mean}°, range {min}–{max}°.", { n: s.n, mean: s.mean_deg, min: s.min_deg, max: s.max_deg }) + " " + s.rule),
    el("p", { class: "disclaimer" }, s.disclaimer));
  current.record = body;
}

/* ---------- start ---------- */
document.addEventListener("DOMContentLoaded", () => {
  loadLanguage(lang());
  $("lang").addEventListener("change", (ev) => chooseLanguage(ev.target.value));
  setNet();
  window.addEventListener("online", () => { setNet(); showQueue(); flushQueue(); });
  window.addEventListener("offline", () => { setNet(); showQueue(); });
  setInterval(() => { if (navigator.onLine) flushQueue(); }, RETRY_MS);
  $("token-form").addEventListener("submit", saveToken);
  $("upload-form").addEventListener("submit", onSubmit);
  $("image").addEventListener("change", onPhoto);
  $("forget-token").onclick = () => { localStorage.removeItem(TOKEN_KEY); askToken(""); };
  $("schreger-canvas").addEventListener("click", tapSchreger);
  $("schreger-undo").onclick = () => { marks.points.pop(); drawMarks(); };
  $("schreger-send").onclick = sendSchreger;
  if (token()) startUpload(); else askToken("");
  registerServiceWorker();
});
