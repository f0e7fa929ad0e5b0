/* idtool phone page: what the officer reads (an ES module imported by app.js).
 *
 * The server's guidance is shared with the CLI and the batch report, so some of its
 * sentences carry internal labels ("material_ivory_or_bone (0.85)"), file names and
 * instructions for the administrator ("import an annex table with 'idtool cites
 * eu-import FILE'"). On the phone they become names, percentages in words, or go.
 * Its texts go through _() (i18n.js, called only once the page has loaded), so Babel
 * extracts them and the page shows them in the officer's language.
 */

import { _ } from "./i18n.js";

/* One precision for GPS wherever it is shown: 5 decimals (about 1 m). */
const GPS_DECIMALS = 5;
export function gpsText(lat, lon) {
  return `${Number(lat).toFixed(GPS_DECIMALS)}, ${Number(lon).toFixed(GPS_DECIMALS)}`;
}

export function pct(x) { return Math.round((x || 0) * 100) + "\u00a0%"; }

export function likelihood(conf) {
  if (conf >= 0.9) return _("very likely");
  if (conf >= 0.7) return _("likely");
  if (conf >= 0.4) return _("possible");
  return _("unlikely");
}

/* Ranks, quality verdicts and Schreger classes travel as English codes; these are their words. */
export function rankName(rank) {
  const names = { species: _("species"), subspecies: _("subspecies"), genus: _("genus"), family: _("family"),
    order: _("order"), class: _("class"), material: _("material") };
  return names[rank] || rank || "";
}
export function schregerName(classification) {
  return { elephant: _("elephant"), mammoth: _("mammoth"), indeterminate: _("indeterminate"),
    refused: _("not classified") }[classification] || String(classification || "").replace(/_/g, " ");
}
export function qualityName(verdict) {
  return { pass: _("pass"), warn: _("warn") }[verdict] || verdict;
}

/* A label as people say it: "material_ivory_or_bone" -> "ivory or bone". */
export function pretty(label) {
  if (!label) return "";
  return label.startsWith("material_") ? label.slice(9).replace(/_/g, " ") : label;
}

/* label -> the name shown for it (common name when the reference set has one). */
export function namesOf(record) {
  const names = {};
  const ident = (record && record.identification) || {};
  for (const c of ident.candidates || []) names[c.label] = c.common_name || pretty(c.label);
  if (ident.label && !names[ident.label]) names[ident.label] = pretty(ident.label);
  return names;
}

export const ADMIN_SENTENCE = /\bidtool\s+[a-z][a-z-]*|\bimport (?:an?|the) [\w -]*(?:table|index|file)\b|\bIDTOOL_[A-Z_]+\b/;

/* One sentence of guidance in the officer's words, or null when it is meant for the
 * administrator of the server and says nothing to the officer. */
export function officerText(text, names = {}) {
  if (text === null || text === undefined) return null;
  let t = String(text);
  // parenthesised instructions for the administrator: dropped, the rest of the sentence kept
  t = t.replace(/\s*\([^()]*\)/g, (part) => (ADMIN_SENTENCE.test(part) ? "" : part));
  if (ADMIN_SENTENCE.test(t)) return null;
  // "listing set cites_bundled_listings.csv is dated ..." -> "the CITES listings on this server ..."
  t = t.replace(/\blisting set [\w.-]+\.(?:csv|json|txt|xlsx)\b( is\b)?/gi,
    (m, is) => (is ? _("the CITES listings on this server are") : _("the CITES listings on this server")));
  // the same file name inside guidance already in French or Spanish: the name goes
  t = t.replace(/\s*\b[\w-]*listings[\w-]*\.(?:csv|json|txt|xlsx)\b/gi, "");
  t = t.replace(/\bthe how_to_tell_apart notes\b/g, _("the reference notes"));
  // scores: "(0.85)" -> "(85 %)", "confidence 0.4" -> "confidence 40 %"
  t = t.replace(/\((0\.\d+|1\.0+)\)/g, (m, x) => `(${pct(parseFloat(x))})`);
  t = t.replace(/\b(score|confidence|similarity|probability)( of)? (0\.\d+|1\.0+)\b/gi,
    (m, word, of, x) => `${word}${of || ""} ${pct(parseFloat(x))}`);
  // internal labels -> names; other snake_case words -> plain words
  t = t.replace(/\bmaterial_[a-z_]+\b/g, (m) => names[m] || pretty(m));
  t = t.replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (m) => m.replace(/_/g, " "));
  t = t.replace(/\s{2,}/g, " ").trim();
  return t || null;
}

export function officerList(items, names) {
  return (items || []).map((t) => officerText(t, names)).filter(Boolean);
}

/* Why the server refused a photo, said for the officer; null when it was not a refusal.
 * `what` is already in the officer's language: _("photo") (the default) or _("original photo"). */
export function refusalText(status, body, what = null) {
  what = what || _("photo");
  const code = body && body.error ? body.error.code : "";
  if (code === "field_too_large") {
    return _("A text field is too long (the notes or the case reference). Shorten it and send the photo again.");
  }
  if (status === 413 || code === "image_too_large") {
    return _("This {what} is too large for the server (too many bytes or pixels).", { what }) + " " +
      _("Take it again at a lower resolution, or hand the file to your supervisor.");
  }
  if (status === 415 || code === "unsupported_media_type") {
    return _("This file is not a photo the server can read. Choose a JPEG, PNG or HEIC photo from the camera or the gallery.");
  }
  if (status === 422 || code === "invalid_image") {
    return _("The {what} could not be read: the file looks damaged or incomplete. Take the photo again.", { what });
  }
  if (status === 409 || code === "conflict") {
    return _("This {what} clashes with one sent before under the same reference; it was not sent again.", { what });
  }
  if (status === 400 || code === "bad_field") {
    const msg = body && body.error ? officerText(body.error.message) : null;
    return (msg ? _("The server refused the form: {reason}.", { reason: msg }) : _("The server refused the form.")) +
      " " + _("Correct it and send the photo again.");
  }
  if (status >= 400 && status < 500 && status !== 401 && status !== 429) {
    return _("The server refused this {what} (error {status}).", { what, status });
  }
  return null;
}
