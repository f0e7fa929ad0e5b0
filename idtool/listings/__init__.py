"""Online listing triage: saved marketplace listings in, a ranked, explained worklist out.

Two things are called a "listing" in idtool. Here it is always a **market listing**: an
advert on a marketplace (types ``MarketListing``, ``AnalysedMarketListing``). A **CITES
listing** (a taxon's entry in Appendix I, II or III) belongs to :mod:`idtool.cites`; this
package only reads it through :mod:`idtool.listings.names` (taxon names to look for) and
the guidance engine (which appendix applies to a named taxon).

Modules, one job each: :mod:`readers` (exports, folders), :mod:`html_page` (saved pages),
:mod:`warc` (web archives), :mod:`lexicon` + :mod:`names` + :mod:`textmatch` +
:mod:`signals` (text signals), :mod:`linking` (clusters), :mod:`scoring` (the priority
rule), :mod:`analysis` (putting a listing's signals together), :mod:`report` +
:mod:`report_html` (outputs), :mod:`pipeline` (the resumable job), :mod:`evidence_import`
(captured files into the evidence store).
"""

from __future__ import annotations

from idtool.listings.pipeline import MarketListingsRequest, MarketListingsSummary, run_listings

__all__ = ["MarketListingsRequest", "MarketListingsSummary", "run_listings"]
