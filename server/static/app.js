/* idtool phone page: token, capture, offline queue (IndexedDB), upload, result card.
 * Every photo gets an Idempotency-Key when it is taken; it is stored with the photo in
 * IndexedDB until the server answers, so a retry after a lost connection can never
 * create a second record. A working copy (photo.js) goes first, with
 * original_pending=1; the original follows in the background (PUT .../original, with
 * its own key), retried whole with backoff until the server has it. Officer wording is
 * in words.js. No build step, no dependencies. */

import { $, el } from "./dom.js";
import { LANG_KEY, _, lang, loadLanguage } from "./i18n.js";
import { gpsText, likelihood, namesOf, officerList, officerText, pct, pretty, qualityName, rankName, refusalText, schregerName } from "./words.js";
import "./seizure.js";
import { confirmationLine, showVersions } from "./learn.js";
import { makeWorkingCopy, megabytes, thumbnailUrl } from "./photo.js";
import { API, TOKEN_KEY, api, token } from "./api.js";
import { TICK_MS, deliver, flushQueue, inflight, queuePut, showQueue } from "./queue.js";

export const RECENT_KEY = "idtool.recent";
export const VOCAB_KEY = "idtool.vocabularies"; // + "." + language
export const ORIGINAL_ONLY_KEY = "idtool.sendOriginalOnly";
export const REFUSED_KEY = "idtool.refused";

export let current = null; // {record, blob} shown in the result card (blob: what the server analysed)

export async function chooseLanguage(code) {
  localStorage.setItem(LANG_KEY, code);
  await loadLanguage(code);
  setNet();
  showQueue();
  renderRecent();
  renderRefused();
  if (token()) loadVocabularies();
  if (current) render(current.record, current.blob, current.original, false);
}

/* ---------- small helpers ---------- */
export function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
/* A SHA-256 that may wrap between groups of 16 hex digits, never inside one. */
export function hashText(hex) {
  const span = el("span", { class: "hash" });
  for (let i = 0; i < hex.length; i += 16) {
    if (i) span.append(el("wbr"));
    span.append(hex.slice(i, i + 16));
  }
  return span;
}

/* ---------- network ---------- */
/* The service worker (sw.js) keeps a copy of this page so it opens with no network.
 * Browsers only offer navigator.serviceWorker in a secure context: HTTPS, or
 * http://localhost / 127.0.0.1. Served over plain http on a LAN address the page still
 * works online (and queues offline) but will not open again without a network. */
export function registerServiceWorker() {
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

export function setNet() {
  const n = $("net");
  n.textContent = navigator.onLine ? _("online") : _("offline");
  n.classList.toggle("offline", !navigator.onLine);
}

/* ---------- refusals ---------- */
export async function refused(item, status, body, stage) {
  const what = stage === "original" ? _("original photo") : _("photo");
  const text = refusalText(status, body, what) || _("The server refused this {what} (error {status}).", { what, status });
  const blob = stage === "original" ? item.original : (item.original || item.blob);
  const entry = {
    key: item.key, at: new Date().toISOString(), text, stage,
    case_ref: (item.fields && item.fields.case_ref) || "", filename: item.filename || "",
    thumb: blob ? await thumbnailUrl(blob) : null, recordId: item.recordId || null,
  };
  const list = JSON.parse(localStorage.getItem(REFUSED_KEY) || "[]").filter((r) => r.key !== item.key);
  list.unshift(entry);
  localStorage.setItem(REFUSED_KEY, JSON.stringify(list.slice(0, 10)));
  renderRefused();
  if (stage === "original" && current && current.record.id === item.recordId) showOriginal(current.record, text);
  return entry;
}

export function renderRefused() {
  const list = JSON.parse(localStorage.getItem(REFUSED_KEY) || "[]");
  $("refused").hidden = list.length === 0;
  $("refused-list").replaceChildren(...list.map((r) => {
    const dismiss = el("button", { type: "button", class: "link" }, _("Dismiss"));
    dismiss.onclick = () => {
      const rest = JSON.parse(localStorage.getItem(REFUSED_KEY) || "[]").filter((x) => x.key !== r.key);
      localStorage.setItem(REFUSED_KEY, JSON.stringify(rest));
      renderRefused();
    };
    const when = r.at.slice(0, 16).replace("T", " ");
    return el("li", {},
      r.thumb ? el("img", { src: r.thumb, alt: _("the refused photo") }) : el("div", { class: "noimg" }),
      el("div", {},
        el("div", { class: "meta" }, [when, r.filename, r.case_ref && _("case {ref}", { ref: r.case_ref })].filter(Boolean).join(" · ")),
        el("div", {}, r.text), dismiss));
  }));
}

export function showRefusalAtPhoto(text) {
  const box = $("refusal");
  box.replaceChildren(el("strong", {}, _("Not accepted.") + " "), text);
  box.hidden = false;
}

/* ---------- token ---------- */
export function askToken(message) {
  $("token-panel").hidden = false;
  $("upload-panel").hidden = true;
  const e = $("token-error");
  e.hidden = !message;
  e.textContent = message || "";
}

export async function saveToken(ev) {
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
export function vocabularyPath() { return "/vocabularies?lang=" + lang(); }
export function fillVocabularies(vocab, save) {
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

export async function loadVocabularies() {
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
export function startUpload() {
  $("token-panel").hidden = true;
  $("upload-panel").hidden = false;
  loadVocabularies();
  renderRecent();
  renderRefused();
  showQueue();
  flushQueue(true);
}

export function onPhoto() {
  const file = $("image").files[0];
  $("submit").disabled = !file;
  $("refusal").hidden = true;
  const img = $("preview");
  if (file) {
    img.onerror = () => { // not something the phone can show either: name it instead
      img.hidden = true;
      $("camera-text").textContent = _("{name}: this file cannot be shown as a photo", { name: file.name });
      $("camera-text").hidden = false;
    };
    img.src = URL.createObjectURL(file);
    img.hidden = false;
    $("camera-text").hidden = true;
  }
}

export function clearResult() {
  current = null;
  $("result").replaceChildren();
  $("result").hidden = true;
  $("schreger").hidden = true;
}

export async function onSubmit(ev) {
  ev.preventDefault();
  const file = $("image").files[0];
  if (!file) return;
  clearResult(); // never leave the last answer on screen beside a new photo
  $("refusal").hidden = true;
  $("submit").disabled = true;
  const fields = {};
  for (const name of ["case_ref", "origin_country", "export_country", "destination_country", "purpose", "source", "notes"]) {
    fields[name] = $(name).value.trim();
  }
  let work = null;
  if (!$("original-only").checked) {
    $("upload-status").textContent = _("Preparing a working copy…");
    work = await makeWorkingCopy(file);
  }
  const item = {
    key: newKey(), blob: work ? work.blob : file, filename: file.name, fields, created: Date.now(),
    stage: "identify", original: work ? file : null, originalKey: work ? newKey() : null,
    recordId: null, attempts: 0, nextTry: 0,
  };
  inflight.add(item.key); // a flush running meanwhile leaves this one to us
  let out;
  const bar = $("progress");
  try {
    await queuePut(item); // first on the phone, then on the wire
    $("upload-status").textContent = work
      ? _("Sending a working copy ({copy}); the original ({original}) follows.", { copy: megabytes(work.blob.size), original: megabytes(file.size) })
      : _("Sending the photo ({size})…", { size: megabytes(file.size) });
    bar.hidden = false;
    bar.firstElementChild.style.width = "0";
    out = await deliver(item, (f) => { bar.firstElementChild.style.width = Math.round(f * 100) + "%"; });
  } finally {
    inflight.delete(item.key);
    bar.hidden = true;
  }
  if (out.status === 201) {
    $("upload-status").textContent = "";
    remember(out.body);
    resetForm();
    render(out.body, item.blob || (work ? work.blob : file), work ? file : null);
    if (work) flushQueue(true); // the original, in the background
  } else if (out.status === 401) {
    askToken(_("Your token was refused. Enter a valid token; the photo is kept."));
  } else if (!out.done) {
    $("upload-status").textContent = out.status === 0
      ? _("No network: the photo is saved on this phone and will be sent automatically.")
      : _("The server is busy: the photo is saved and will be sent again shortly.");
  } else {
    $("upload-status").textContent = "";
    const entry = await refused(item, out.status, out.body, "identify");
    showRefusalAtPhoto(entry.text);
  }
  $("submit").disabled = !$("image").files[0];
  showQueue();
}

export function resetForm() {
  $("image").value = "";
  $("preview").hidden = true;
  $("camera-text").textContent = _("Take or choose a photo");
  $("camera-text").hidden = false;
  $("submit").disabled = true;
}

/* ---------- result card ---------- */
export async function thumb(url, alt) {
  if (!url) return el("div", { class: "noimg" });
  const img = el("img", { alt });
  try {
    const r = await api(url.replace(API, ""));
    if (r.ok) img.src = URL.createObjectURL(await r.blob());
  } catch (e) { /* offline: leave blank */ }
  return img;
}

export function verdict(ident, names) {
  const box = (cls, big, ...rest) => el("div", { class: "verdict " + cls, id: "verdict", tabindex: "-1" },
    el("strong", { class: "big" }, big), ...rest);
  if (ident.error) {
    return box("error", _("Could not analyse the photo"),
      refusalText(422, { error: ident.error }) || _("Take the photo again."));
  }
  const conf = ident.confidence || 0;
  if (ident.decision === "identified") {
    const name = names[ident.label] || pretty(ident.label);
    const material = ident.label.startsWith("material_");
    return box("identified", name,
      el("span", {}, material ? _("material") : el("i", {}, ident.label), ident.rank && !material ? ` (${rankName(ident.rank)})` : "",
        ` – ${likelihood(conf)} (${pct(conf)})`));
  }
  if (ident.decision === "uncertain") {
    const options = ident.candidates.slice(0, 3).map((c) => `${names[c.label] || pretty(c.label)} (${pct(c.score)})`);
    const or = _(", or "); // not nested in the call below: Babel extracts only the outer one
    return box("uncertain", _("Uncertain"),
      el("span", {}, _("Could be {candidates}. Treat it as the strictest of these until checked.", { candidates: options.join(or) })));
  }
  return box("not_in_reference", _("Not in the reference set"),
    el("span", {}, _("The photo does not match any reference closely enough. Examine the item by hand or send it to a specialist.")));
}

export function listBlock(title, items, cls, names) {
  const texts = officerList(items, names);
  if (texts.length === 0) return null;
  const ul = el("ul", { class: "plain" }, texts.map((t) => el("li", {}, t)));
  return cls ? el("div", { class: cls }, el("strong", {}, title), ul) : [el("h3", {}, title), ul];
}

/* The "original photo" line of the card: received, pending (sending n %), or refused. */
export function originalLine(record, note) {
  const o = record.original || { status: "received", bytes: record.evidence.bytes };
  if (o.status === "received") {
    return el("p", { class: "original received", id: "original-status" },
      el("strong", {}, _("Original photo: received")),
      o.bytes ? " " + _("({size}), stored unchanged.", { size: megabytes(o.bytes) }) : _(", stored unchanged."));
  }
  return el("p", { class: "original pending", id: "original-status" },
    el("strong", {}, _("Original photo: pending")),
    note ? [". ", note] : ". " + _("It is sent in the background; the result above is from a working copy."));
}
export function showOriginal(record, note) {
  const line = $("original-status");
  if (line) line.replaceWith(originalLine(record, note));
  const hashes = $("evidence-hashes");
  if (hashes) hashes.replaceWith(evidenceHashes(record));
  const exif = $("exif-line");
  if (exif) exif.replaceWith(exifLine(record));
}
export function originalProgress(recordId, fraction) {
  if (!current || current.record.id !== recordId || !$("original-status")) return;
  if (current.record.original && current.record.original.status === "received") return;
  showOriginal(current.record, fraction === null
    ? _("No network now: it will be sent again automatically.")
    : _("Sending in the background: {percent}.", { percent: Math.round(fraction * 100) + "\u00a0%" }));
}

/* SHA-256 of what was analysed and of the original (the same file unless a working copy
 * went first); refreshed in place when the original arrives. */
export function evidenceHashes(record) {
  const o = record.original || {};
  const lines = [];
  if (o.working_copy) {
    lines.push(el("p", { class: "meta" }, _("Working copy analysed:") + " SHA-256 ", hashText(record.evidence.sha256),
      ` (${megabytes(record.evidence.bytes)}).`));
    lines.push(el("p", { class: "meta" }, _("Original photo:") + " ",
      o.sha256 ? ["SHA-256 ", hashText(o.sha256), ` (${megabytes(o.bytes)}).`] : _("not received yet.")));
  } else {
    lines.push(el("p", { class: "meta" }, _("Photo analysed and stored unchanged:") + " SHA-256 ",
      hashText(record.evidence.sha256), ` (${megabytes(record.evidence.bytes)}).`));
  }
  return el("div", { id: "evidence-hashes" }, lines);
}

/* What the photo's EXIF recorded (from the original once it has arrived). */
export function exifLine(record) {
  // the original's EXIF once it has arrived (a working copy made on the phone has none)
  const exif = (record.original && record.original.exif) || (record.evidence && record.evidence.exif) || {};
  const recorded = [];
  if (exif.datetime_original) recorded.push(_("taken {when}", { when: exif.datetime_original.replace("T", " ") }));
  if (exif.make || exif.model) recorded.push(_("camera {camera}", { camera: [exif.make, exif.model].filter(Boolean).join(" ") }));
  if (exif.gps_latitude != null) recorded.push(`GPS ${gpsText(exif.gps_latitude, exif.gps_longitude)}`);
  const pending = record.original && record.original.status === "pending";
  return el("p", { class: "meta", id: "exif-line" }, recorded.length
    ? _("The photo recorded: {what}.", { what: recorded.join("; ") })
    : pending ? _("Time, camera and GPS data come with the original photo.")
      : _("The photo carried no time, camera or GPS data."));
}

/* Width set through the CSSOM, not a style attribute (allowed under a strict CSP). */
export function scoreBar(score) {
  const bar = el("div");
  bar.style.width = Math.round((score || 0) * 100) + "%";
  return bar;
}

export async function render(record, blob, original, focus = true) {
  current = { record, blob, original: original || null };
  const ident = record.identification;
  const names = namesOf(record);
  const g = record.guidance || {};
  const card = $("result");
  const appendix = g.prohibitions && g.prohibitions.length ? "prohibited" : (g.cites && g.cites.appendix) || "";
  const cands = el("ul", { class: "cands" });
  for (const c of ident.candidates || []) {
    const ref = (record.references || []).find((r) => r.label === c.label) || {};
    const li = el("li", {},
      el("div", { class: "noimg" }),
      el("div", { class: "cand" }, el("div", {}, names[c.label] || pretty(c.label)),
        el("div", { class: "meta" }, c.label.startsWith("material_") ? _("material") : [el("i", {}, c.label), c.rank ? ` · ${rankName(c.rank)}` : ""]),
        el("div", { class: "bar-score" }, scoreBar(c.score))),
      el("span", { class: "score" }, pct(c.score)));
    cands.append(li);
    thumb(ref.thumbnail_url, _("reference photo of {label}", { label: names[c.label] || pretty(c.label) })).then((img) => li.firstChild.replaceWith(img));
  }
  const quality = ident.quality || {};
  const schreger = record.forensics && record.forensics.schreger;
  const population = g.cites && g.cites.population ? officerText(g.cites.population, names) : null;
  const parts = [
    verdict(ident, names),
    confirmationLine(record),
    el("p", { class: "cites-line" },
      appendix ? el("span", { class: "appendix " + appendix }, appendix === "prohibited" ? _("Prohibited") : _("Appendix {appendix}", { appendix })) : _("No CITES appendix found"),
      " ", g.matched_name ? [_("for") + " ", el("i", {}, g.matched_name)] : "", population ? ` – ${population}` : ""),
    originalLine(record),
    quality.verdict && quality.verdict !== "pass" && quality.advice && quality.advice.length
      ? listBlock(_("Photo quality: {verdict}", { verdict: qualityName(quality.verdict) }), quality.advice, "warnbox", names) : null,
    el("h3", {}, _("Candidates")), cands,
    g.cites && g.cites.annotation ? el("details", { class: "meta" }, el("summary", {}, _("Listing annotation")), officerText(g.cites.annotation, names)) : null,
    listBlock(_("Prohibited"), g.prohibitions, "dangerbox", names),
    listBlock(_("Permits needed"), g.permits, null, names),
    listBlock(_("Check"), g.officer_checks, null, names),
    listBlock(_("Next steps"), g.next_steps, null, names),
    ident.lookalike_triage ? listBlock(ident.lookalike_triage.title, ident.lookalike_triage.checks.map((c) => c.text), "warnbox", names) : null,
    listBlock(_("Warnings"), g.warnings, "warnbox", names),
    schreger && schreger.applicable
      ? el("button", { type: "button", id: "open-schreger" }, _("Measure Schreger angles (ivory)")) : null,
    record.schreger ? el("p", {}, el("strong", {}, _("Schreger:") + " "), `${schregerName(record.schreger.classification)} – ${officerText(record.schreger.reason, names)}`) : null,
    el("h3", {}, _("Evidence")),
    el("p", { class: "meta" },
      _("Record {id} · {when} · officer {officer}", { id: record.id, when: record.created_at.slice(0, 19).replace("T", " "), officer: record.officer }) +
      (record.case_ref ? " · " + _("case {ref}", { ref: record.case_ref }) : "")),
    evidenceHashes(record),
    exifLine(record),
    el("p", { class: "meta" }, _("Model {model} · reference {reference}", { model: record.versions.model_version, reference: record.versions.reference_version })),
    el("p", { class: "disclaimer" }, officerText(g.disclaimer, names) || _("Visual identification is probable cause, not proof.")),
  ];
  card.replaceChildren(...parts.flat().filter((p) => p !== null && p !== undefined && p !== false));
  card.append(itemPhotoControl(record));
  card.hidden = false;
  const open = $("open-schreger");
  if (open) open.onclick = () => openSchreger();
  $("schreger").hidden = true;
  // The verdict, not the candidates, is what the officer sees first: after layout settles
  // (the form has just shrunk), put the verdict at the top and give it focus.
  if (!focus) return;
  requestAnimationFrame(() => {
    card.scrollIntoView({ block: "start" });
    $("verdict").focus({ preventScroll: true });
  });
}

/* ---------- recent ---------- */
export function remember(record) {
  const list = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]").filter((r) => r.id !== record.id);
  const ident = record.identification;
  const names = namesOf(record);
  list.unshift({
    id: record.id, at: record.created_at,
    what: ident.label ? names[ident.label] || pretty(ident.label)
      : ({ uncertain: _("uncertain"), not_in_reference: _("not in the reference set") }[ident.decision] || ident.decision.replace(/_/g, " ")),
    case_ref: record.case_ref,
  });
  localStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, 20)));
  renderRecent();
}
export function renderRecent() {
  const list = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
  $("recent").replaceChildren(...(list.length ? list.map((r) => {
    const li = el("li", {}, `${r.at.slice(0, 16).replace("T", " ")} · ${r.what}` + (r.case_ref ? ` · ${r.case_ref}` : ""));
    li.onclick = async () => {
      const res = await api("/identifications/" + r.id);
      if (res.ok) render(await res.json(), null, null);
    };
    return li;
  }) : [el("li", { class: "hint" }, _("Nothing yet."))]));
}

/* ---------- Schreger tap-to-mark ---------- */
export const marks = { points: [], image: null };
export function openSchreger() {
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
export function drawMarks() {
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
export function tapSchreger(ev) {
  const c = $("schreger-canvas");
  const rect = c.getBoundingClientRect();
  const x = (ev.clientX - rect.left) * (c.width / rect.width);
  const y = (ev.clientY - rect.top) * (c.height / rect.height);
  marks.points.push([Math.round(x * 10) / 10, Math.round(y * 10) / 10]);
  drawMarks();
}
export async function sendSchreger() {
  const n = Math.floor(marks.points.length / 3);
  const triples = [];
  for (let i = 0; i < n; i++) triples.push(marks.points.slice(3 * i, 3 * i + 3));
  const r = await api(`/identifications/${current.record.id}/schreger`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ triples }),
  });
  const body = await r.json();
  if (!r.ok) {
    const msg = body && body.error ? officerText(body.error.message) : null;
    $("schreger-result").replaceChildren(el("p", { class: "error" }, msg || _("The server refused the angles (error {status}).", { status: r.status })));
    return;
  }
  const s = body.schreger;
  $("schreger-result").replaceChildren(
    el("p", {}, el("strong", {}, schregerName(s.classification)), ` – ${officerText(s.reason)}`),
    el("p", { class: "meta" }, _("{n} angles, mean {mean}°, range {min}–{max}°.", { n: s.n, mean: s.mean_deg, min: s.min_deg, max: s.max_deg }) + " " + s.rule),
    el("p", { class: "disclaimer" }, officerText(s.disclaimer)));
  current.record = body;
}

/* ---------- several photos of one item ---------- */
/* "Add another photo of this item": POST /identifications/<id>/photos (online only);
 * the reply is the record with the fused answer, rendered in place. */
export function itemPhotoControl(record) {
  const item = record.identification.item;
  const status = el("p", { class: "meta" },
    item ? _("Item: {photos} photos, {agreeing} agree with the answer.", { photos: item.photos, agreeing: item.agreeing }) : "");
  const input = el("input", { type: "file", accept: "image/*", capture: "environment", hidden: "" });
  const button = el("button", { type: "button", id: "add-item-photo" }, _("Add another photo of this item"));
  button.onclick = () => input.click();
  input.onchange = async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    if (!navigator.onLine) { status.textContent = _("Offline: add the photo when back online."); return; }
    button.disabled = true;
    status.textContent = _("Sending the photo…");
    const form = new FormData();
    form.append("image", file, file.name || "photo.jpg");
    const r = await api(`/identifications/${record.id}/photos`, { method: "POST", body: form });
    const body = await r.json().catch(() => null);
    button.disabled = false;
    if (!r.ok) {
      status.textContent = refusalText(r.status, body) || _("The server refused this {what} (error {status}).", { what: _("photo"), status: r.status });
      return;
    }
    remember(body);
    render(body, current && current.blob);
  };
  return el("div", { class: "item-photos" }, status, button, input);
}

/* ---------- start ---------- */
document.addEventListener("DOMContentLoaded", () => {
  // once the catalog is in, the texts this file wrote meanwhile are written again
  loadLanguage(lang()).then(() => { setNet(); showQueue(); renderRecent(); renderRefused(); showVersions(); });
  $("lang").addEventListener("change", (ev) => chooseLanguage(ev.target.value));
  setNet();
  window.addEventListener("online", () => { setNet(); showQueue(); flushQueue(true); });
  window.addEventListener("offline", () => { setNet(); showQueue(); });
  setInterval(() => { if (navigator.onLine) flushQueue(); }, TICK_MS);
  const originalOnly = $("original-only");
  originalOnly.checked = localStorage.getItem(ORIGINAL_ONLY_KEY) === "1";
  originalOnly.addEventListener("change", () => {
    localStorage.setItem(ORIGINAL_ONLY_KEY, originalOnly.checked ? "1" : "0");
  });
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
