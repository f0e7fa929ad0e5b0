"""Online listing triage: saved marketplace listings in, a ranked, explained worklist out.

Modules, one job each: :mod:`readers` (exports, folders), :mod:`html_page` (saved pages),
:mod:`warc` (web archives), :mod:`lexicon` + :mod:`names` + :mod:`textmatch` +
:mod:`signals` (text signals), :mod:`linking` (clusters), :mod:`scoring` (the priority
rule), :mod:`analysis` (putting a listing's signals together), :mod:`report` +
:mod:`report_html` (outputs), :mod:`pipeline` (the resumable job), :mod:`evidence_import`
(captured files into the evidence store).
"""

from __future__ import annotations

from idtool.listings.pipeline import ListingsRequest, ListingsSummary, run_listings

__all__ = ["ListingsRequest", "ListingsSummary", "run_listings"]
