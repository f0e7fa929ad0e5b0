/* idtool phone page: the language of the texts (gettext catalogs from the server). */

import { $ } from "./dom.js";

export const LANG_KEY = "idtool.lang";
export const LANGS = ["en", "fr", "es"];

/* ---------- language ----------
 * The page's strings are English in this file, in words.js and in index.html (data-i18n);
 * their French and Spanish translations come from the server's gettext catalogs
 * (GET /i18n/<lang>.json), kept in localStorage for offline starts. Babel extracts every
 * gettext call. API calls send Accept-Language (and the vocabularies ?lang=) so guidance,
 * checks and pickers come back in the same language. */
export let MESSAGES = {};
export function _(msg, vars) {
  let s = MESSAGES[msg] || msg;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}
export function lang() {
  const saved = localStorage.getItem(LANG_KEY);
  if (LANGS.includes(saved)) return saved;
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const code = String(tag).slice(0, 2).toLowerCase();
    if (LANGS.includes(code)) return code;
  }
  return "en";
}
export const i18nOriginals = new Map(); // element -> its English text and attributes
export function applyStatic() {
  document.documentElement.lang = lang();
  $("lang").value = lang();
  for (const node of document.querySelectorAll("[data-i18n], [data-i18n-attr]")) {
    if (!i18nOriginals.has(node)) {
      const attrs = {};
      for (const a of (node.dataset.i18nAttr || "").split(/\s+/).filter(Boolean)) attrs[a] = node.getAttribute(a);
      const text = node.hasAttribute("data-i18n") ? node.textContent.replace(/\s+/g, " ").trim() : null;
      i18nOriginals.set(node, { text, attrs });
    }
    const o = i18nOriginals.get(node);
    if (o.text) node.textContent = _(o.text);
    for (const [a, v] of Object.entries(o.attrs)) if (v) node.setAttribute(a, _(v));
  }
}
export async function loadLanguage(code) {
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
