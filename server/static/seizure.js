/* idtool phone page: "Seizure details" of the current case (the case reference typed
 * above the photo). An ES module on its own: it reads the token, language and catalog
 * the page keeps in localStorage and talks to PUT/GET /api/v1/cases/<case_ref>.
 *
 * Saving sends only the fields changed since the case was read, with If-Match: <version>,
 * so a change someone else made meanwhile is refused (409) rather than overwritten. With
 * no network the change is kept on this phone (localStorage) and sent when the network
 * is back; a change the server refuses is shown as "Not sent" with the reason, and kept
 * in the form. Texts are English here; French and Spanish come from the same gettext
 * catalog as the rest of the page (N_ marks them for extraction). */

const API = "/api/v1";
const QUEUE_KEY = "idtool.seizureQueue";
const CASE_KEY = "idtool.case."; // + case_ref: the last facts read, for offline starts
const RETRY_MS = 15000;
const N_ = (s) => s;

const FIELDS = [
  ["seizure_date", N_("Date of seizure"), "date"],
  ["location", N_("Place (port, airport, post office…)"), "text"],
  ["quantity", N_("Quantity"), "number"],
  ["unit", N_("Unit"), "units"],
  ["specimen", N_("What was seized (CITES term)"), "trade_terms"],
  ["taxon", N_("Species (scientific name)"), "text"],
  ["country_origin", N_("Country of origin"), "country"],
  ["country_export", N_("Exporting country"), "country"],
  ["countries_transit", N_("Countries of transit"), "countries"],
  ["country_destination", N_("Destination country"), "country"],
  ["transport_mode", N_("Mode of transport"), "transport_modes"],
  ["detection_method", N_("How it was found"), "detection_methods"],
  ["reason", N_("Reason for seizure"), "reasons"],
  ["offender_nationalities", N_("Nationalities of the offenders"), "countries"],
  ["disposal", N_("What happened to the specimens"), "disposals"],
  ["notes", N_("Notes for the report"), "textarea"],
];
const LIST_FIELDS = new Set(["countries_transit", "offender_nationalities"]);

const $ = (id) => document.getElementById(id);
let loaded = { caseRef: null, version: 0, facts: {} };
let vocab = null;
let messages = {};

/* ---------- language ---------- */
const LANGS = ["en", "fr", "es"];
function lang() { // as the page chooses it: the picker's saved choice, else the browser's
  const saved = localStorage.getItem("idtool.lang");
  if (LANGS.includes(saved)) return saved;
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const code = String(tag).slice(0, 2).toLowerCase();
    if (LANGS.includes(code)) return code;
  }
  return "en";
}
function _(msg, vars) {
  let s = messages[msg] || msg;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}
async function loadMessages() {
  const code = lang();
  if (code === "en") { messages = {}; return; }
  const cached = localStorage.getItem("idtool.i18n." + code);
  messages = cached ? JSON.parse(cached).messages : {};
  if (cached) return;
  try {
    const r = await fetch(`/i18n/${code}.json`);
    if (r.ok) messages = (await r.json()).messages;
  } catch (e) { /* offline: English */ }
}

/* ---------- small helpers ---------- */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}
function api(path, options = {}) {
  const headers = Object.assign({
    Authorization: "Bearer " + localStorage.getItem("idtool.token"),
    "Accept-Language": lang(),
  }, options.headers || {});
  return fetch(API + path, Object.assign({}, options, { headers }));
}
function casePath(ref) { return "/cases/" + ref.split("/").map(encodeURIComponent).join("/"); }
function caseRef() { return ($("case_ref") && $("case_ref").value.trim()) || ""; }
function queue() { return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); }
function saveQueue(items) { localStorage.setItem(QUEUE_KEY, JSON.stringify(items)); }

/* ---------- the form ---------- */
function input(name, kind) {
  const id = "sz-" + name;
  if (kind === "textarea") return el("textarea", { id, name, rows: "2", maxlength: "2000" });
  if (kind === "date") return el("input", { id, name, type: "date" });
  if (kind === "number") return el("input", { id, name, type: "number", min: "0", step: "any", inputmode: "decimal" });
  if (kind === "country") return el("input", { id, name, list: "countries", autocomplete: "off", "data-sz-placeholder": N_("e.g. Cameroon or CM") });
  if (kind === "countries") return el("input", { id, name, autocomplete: "off", "data-sz-placeholder": N_("e.g. NG, FR") });
  if (kind === "text") return el("input", { id, name, autocomplete: "off", maxlength: "200" });
  return el("select", { id, name, "data-vocab": kind }, el("option", { value: "" }, "–"));
}

function build() {
  const panel = $("upload-panel");
  if (!panel || $("seizure")) return;
  const form = el("form", { id: "seizure-form", novalidate: "" });
  for (const [name, label, kind] of FIELDS) {
    form.append(el("label", { for: "sz-" + name, "data-sz-label": label }, _(label)), input(name, kind));
  }
  form.append(
    el("button", { id: "seizure-save", type: "submit", class: "primary" }, _("Save seizure details")),
    el("p", { id: "seizure-status", class: "status", role: "status", "aria-live": "polite" }),
  );
  const section = el("section", { id: "seizure", class: "card" },
    el("details", { id: "seizure-details" },
      el("summary", { id: "seizure-summary" }, _("Seizure details")),
      el("p", { id: "seizure-case", class: "hint" }),
      form));
  const recent = panel.querySelector("section.card.small");
  panel.insertBefore(section, recent);
  form.addEventListener("submit", onSave);
  $("seizure-details").addEventListener("toggle", () => { if ($("seizure-details").open) load(); });
  $("case_ref").addEventListener("change", () => { if ($("seizure-details").open) load(); else showCase(); });
  const picker = $("lang");
  if (picker) picker.addEventListener("change", () => setTimeout(relabel, 0));
}

async function relabel() {
  await loadMessages();
  $("seizure-summary").textContent = _("Seizure details");
  $("seizure-save").textContent = _("Save seizure details");
  for (const node of document.querySelectorAll("[data-sz-label]")) node.textContent = _(node.dataset.szLabel);
  for (const node of document.querySelectorAll("[data-sz-placeholder]")) node.placeholder = _(node.dataset.szPlaceholder);
  await loadVocab();
  showCase();
  showPending();
}

async function loadVocab() {
  const key = "idtool.vocabularies." + lang();
  try {
    const r = await api("/vocabularies?lang=" + lang());
    if (r.ok) vocab = await r.json();
  } catch (e) { /* offline */ }
  if (!vocab || !vocab.seizure) {
    const cached = localStorage.getItem(key);
    if (cached) vocab = JSON.parse(cached);
  }
  if (!vocab || !vocab.seizure) return;
  for (const select of document.querySelectorAll("select[data-vocab]")) {
    const value = select.value;
    const items = vocab.seizure[select.dataset.vocab] || [];
    select.replaceChildren(el("option", { value: "" }, "–"),
      ...items.map((c) => el("option", { value: c.code }, `${c.code} – ${c.meaning}`)));
    select.value = value;
  }
}

function showCase() {
  const ref = caseRef();
  $("seizure-case").textContent = ref
    ? _("Case {ref}, version {version}", { ref, version: loaded.caseRef === ref ? loaded.version : "–" })
    : _("Type the case reference above first.");
  $("seizure-save").disabled = !ref;
}

function fill(facts) {
  for (const [name] of FIELDS) {
    const v = facts[name];
    $("sz-" + name).value = v === null || v === undefined ? "" : (Array.isArray(v) ? v.join(", ") : String(v));
  }
}

function formValues() {
  const values = {};
  for (const [name] of FIELDS) {
    const raw = $("sz-" + name).value.trim();
    if (LIST_FIELDS.has(name)) values[name] = raw ? raw.split(",").map((s) => s.trim()).filter(Boolean) : [];
    else if (name === "quantity") values[name] = raw ? Number(raw) : null;
    else values[name] = raw || null;
  }
  return values;
}

function changedFields(values, facts) {
  const changes = {};
  for (const [name, value] of Object.entries(values)) {
    const before = facts[name] === undefined ? null : facts[name];
    const same = LIST_FIELDS.has(name)
      ? JSON.stringify(value) === JSON.stringify(before || [])
      : value === before;
    if (!same) changes[name] = value;
  }
  return changes;
}

async function load() {
  const ref = caseRef();
  showCase();
  if (!vocab || !vocab.seizure) await loadVocab(); // (signed in since the page opened)
  if (!ref) return;
  const cached = localStorage.getItem(CASE_KEY + ref);
  try {
    const r = await api(casePath(ref));
    if (r.status === 404) loaded = { caseRef: ref, version: 0, facts: {} };
    else if (r.ok) {
      const body = await r.json();
      loaded = { caseRef: ref, version: body.version, facts: body.facts };
      localStorage.setItem(CASE_KEY + ref, JSON.stringify(loaded));
    } else return status(_("Could not read the case (error {status}).", { status: r.status }), true);
  } catch (e) {
    loaded = cached ? JSON.parse(cached) : { caseRef: ref, version: 0, facts: {} };
  }
  fill(loaded.facts);
  showCase();
  showPending();
}

function status(text, bad) {
  const s = $("seizure-status");
  s.textContent = text;
  s.classList.toggle("error", Boolean(bad));
}

/* ---------- saving, and the queue of changes not sent yet ---------- */
async function onSave(ev) {
  ev.preventDefault();
  const ref = caseRef();
  if (!ref) return;
  const base = loaded.caseRef === ref ? loaded : { caseRef: ref, version: 0, facts: {} };
  const changes = changedFields(formValues(), base.facts);
  if (!Object.keys(changes).length) return status(_("Nothing changed."));
  // this change (made against the last version read) replaces any earlier one not sent
  const items = queue().filter((i) => i.caseRef !== ref);
  items.push({ caseRef: ref, version: base.version, changes, created: Date.now() });
  saveQueue(items);
  await flush();
}

async function send(item) {
  let r;
  try {
    r = await api(casePath(item.caseRef), {
      method: "PUT",
      headers: { "Content-Type": "application/json", "If-Match": `"${item.version}"` },
      body: JSON.stringify(item.changes),
    });
  } catch (e) { return "offline"; }
  if (r.status >= 500 || r.status === 429) return "offline";
  const body = await r.json().catch(() => null);
  if (!r.ok) {
    item.refused = (body && body.error && body.error.message) || `HTTP ${r.status}`;
    item.conflict = r.status === 409;
    return "refused";
  }
  if (item.caseRef === caseRef()) {
    loaded = { caseRef: item.caseRef, version: body.version, facts: body.facts };
    localStorage.setItem(CASE_KEY + item.caseRef, JSON.stringify(loaded));
    fill(loaded.facts);
  }
  return "sent";
}

let flushing = false;
async function flush() {
  if (flushing) return;
  flushing = true;
  try {
    const keep = [];
    let sent = 0;
    for (const item of queue()) {
      if (item.refused) { keep.push(item); continue; }
      const outcome = await send(item);
      if (outcome === "sent") sent += 1; else keep.push(item);
    }
    saveQueue(keep);
    if (sent && !keep.some((i) => i.caseRef === caseRef())) {
      status(_("Seizure details saved (version {version}).", { version: loaded.version }));
    }
  } finally {
    flushing = false;
  }
  showCase();
  showPending();
}

function showPending() {
  const mine = queue().filter((i) => i.caseRef === caseRef());
  if (!mine.length) return;
  const refused = mine.find((i) => i.refused);
  if (refused) {
    const why = refused.conflict
      ? _("someone changed this case since you read it; check the details and save again")
      : refused.refused;
    status(_("Not sent: {why}", { why }), true);
    if (refused.conflict) {
      saveQueue(queue().filter((i) => i !== refused && !(i.caseRef === refused.caseRef && i.refused)));
      loaded = { caseRef: null, version: 0, facts: {} };
      reloadKeeping(refused.changes);
    }
    return;
  }
  status(_("Not sent yet: kept on this phone, it will be sent when the network is back."), true);
}

/* After a conflict: read the case again, then put the officer's changes back in the form. */
async function reloadKeeping(changes) {
  await load();
  for (const [name, value] of Object.entries(changes)) {
    $("sz-" + name).value = Array.isArray(value) ? value.join(", ") : (value === null ? "" : String(value));
  }
}

async function start() {
  build();
  if (!$("seizure")) return;
  await relabel();
  window.addEventListener("online", flush);
  setInterval(() => { if (navigator.onLine && queue().some((i) => !i.refused)) flush(); }, RETRY_MS);
  if (navigator.onLine) flush();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
