/* idtool phone page: lab confirmations and the versions in use (an ES module imported by app.js).
 *
 * A record a laboratory confirmed shows what it really is, how and by whom; the footer
 * shows the reference set, listings and signed update the server uses now (they change
 * when an update is installed, without a restart).
 */


import { el } from "./dom.js";
import { _ } from "./i18n.js";
import { pretty } from "./words.js";

function methodName(method) {
  return { dna: _("DNA analysis"), spectroscopy: _("spectroscopy"),
    schreger_cross_section: _("Schreger angles on a cross-section"),
    morphology_expert: _("expert examination"), documents: _("documents") }[method] || method;
}

/* The confirmation line of a record (null when never confirmed). */
export function confirmationLine(record) {
  const c = record.confirmation;
  if (!c) return null;
  const label = c.label && c.label.startsWith("material_") ? pretty(c.label) : c.label;
  return el("p", { class: "confirmed", id: "confirmation" },
    el("strong", {}, _("Confirmed by a laboratory:") + " "),
    _("{label} ({method}, {by})", { label, method: methodName(c.method), by: c.by }),
    c.report_ref ? " · " + _("report {ref}", { ref: c.report_ref }) : "");
}

/* Fill the footer with the versions the server uses now (from /healthz). */
export async function showVersions() {
  const box = document.getElementById("versions");
  if (!box) return;
  try {
    const response = await fetch("/healthz", { cache: "no-store" });
    if (!response.ok) return;
    const v = await response.json();
    const bundled = _("bundled table");
    const noUpdate = _("none");
    box.textContent = _("Reference {reference} · listings {listings} · update {update}", {
      reference: v.reference_version || "–", listings: v.listing_set || bundled,
      update: v.update_version || noUpdate });
  } catch (err) {
    // offline: keep what was shown
  }
}
