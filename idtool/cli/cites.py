"""``idtool cites import|eu-import|status`` and ``idtool guidance``: parse, call, format."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import sqlite_utils
from rich.console import Console
from rich.table import Table

from idtool.catalog.store import open_catalog_db
from idtool.cites import list_sets, load_listing_index
from idtool.cites.guidance import CombinedGuidance, Guidance, guidance_for_label
from idtool.cites.index_loader import import_layer, listing_layers
from idtool.cites.label_names import label_with_name
from idtool.cites.layers import LayerChange, pending_dates
from idtool.cites.listing_index import LATEST_COP, stale_warning
from idtool.cites.store import KIND_EU, KIND_LISTINGS
from idtool.cli.common import (
    catalog_option,
    declaration_from,
    echo_err,
    echo_json,
    format_option,
    lang_option,
    settings_from,
    trade_options,
)
from idtool.config import Settings
from idtool.i18n import get_language
from idtool.i18n import gettext as _
from idtool.i18n.vocabulary import (
    common_names_first,
    language_name,
    match_kind_text,
    status_text,
)


def open_cites_db(settings: Settings) -> sqlite_utils.Database:
    """Open the catalog DB (all migration sets applied, the CITES tables included)."""
    return open_catalog_db(settings.catalog_path)


def _console() -> Console:
    return Console(file=sys.stdout, width=110, soft_wrap=False, highlight=False)


def _import(
    ctx: click.Context,
    file: Path,
    snapshot_date: str | None,
    catalog_path: Path | None,
    output_format: str,
    expect_kind: str | None,
) -> None:
    settings = settings_from(ctx, catalog_path=catalog_path)
    db = open_cites_db(settings)
    done = import_layer(db, file, snapshot_date=snapshot_date, expect_kind=expect_kind)
    result, changes = done.result, done.changes
    info = result.listing_set
    if output_format == "json":
        echo_json(
            {
                "created": result.created,
                "elapsed_s": round(result.elapsed_s, 3),
                "listing_set": info.to_dict(),
                "changes": changes.to_dict() if changes else None,
            }
        )
        return
    verb = "imported" if result.created else "already imported (no change)"
    click.echo(
        f"{info.name}: {verb} as {info.kind} set {info.set_id}, {info.row_count} rows, "
        f"snapshot {info.snapshot_date}, sha256 {info.sha256[:12]}…"
    )
    if changes is not None:
        _echo_changes(changes)
    if warning := stale_warning(info):
        echo_err(f"warning: {warning}")


def _echo_changes(changes: LayerChange, limit: int = 12) -> None:
    click.echo(
        f"changes to the listings in force: {len(changes.added)} taxa added, "
        f"{len(changes.removed)} removed, {len(changes.moved)} moved "
        "(a row older than the one in force changes nothing)"
    )
    for label, names in (("added", changes.added), ("removed", changes.removed)):
        if names:
            more = f" … (+{len(names) - limit})" if len(names) > limit else ""
            click.echo(f"  {label}: {', '.join(names[:limit])}{more}")
    for name, before, after in changes.moved[:limit]:
        click.echo(f"  moved: {name} {before or '-'} -> {after or '-'}")
    if len(changes.moved) > limit:
        click.echo(f"  moved: … (+{len(changes.moved) - limit})")


@click.group("cites")
def cites() -> None:
    """CITES listing data: import Species+ exports, see what is loaded.

    Example:

        idtool cites import Index_of_CITES_Species_2017-04-21.csv.gz
    """


@cites.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--snapshot-date", help="Export date YYYY-MM-DD if the file name lacks it.")
@catalog_option
@format_option
@click.pass_context
def import_cmd(
    ctx: click.Context,
    file: Path,
    snapshot_date: str | None,
    catalog_path: Path | None,
    output_format: str,
) -> None:
    """Import a listings file as a new dated layer, and print what it changed.

    Accepts a Species+ "Index of CITES species" or "CITES listings" export, an
    idtool listings table (e.g. a national list), or the SAPI quota / reservation
    tables (CSV or CSV.gz). For each taxon the newest effective listing of any layer
    wins, so an older file never undoes a newer listing; the output counts the taxa
    added, removed and moved between appendices. Re-importing the same file changes
    nothing.

    Example:

        idtool cites import cites_listings_reptilia_2023-07.csv
    """
    _import(ctx, file, snapshot_date, catalog_path, output_format, None)


@cites.command("eu-import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--snapshot-date", help="Date of the annex table YYYY-MM-DD.")
@catalog_option
@format_option
@click.pass_context
def eu_import_cmd(
    ctx: click.Context,
    file: Path,
    snapshot_date: str | None,
    catalog_path: Path | None,
    output_format: str,
) -> None:
    """Import an EU Wildlife Trade Regulation annex table (columns taxon, annex, ...).

    See idtool/cites/eu.py for the file format.

    Example:

        idtool cites eu-import eu_annexes_2023-05-05.csv
    """
    _import(ctx, file, snapshot_date, catalog_path, output_format, KIND_EU)


@cites.command("status")
@catalog_option
@format_option
@click.pass_context
def status_cmd(ctx: click.Context, catalog_path: Path | None, output_format: str) -> None:
    """List the listing layers (shipped and imported) and the date the law is current to.

    Example:

        idtool cites status --format json
    """
    settings = settings_from(ctx, catalog_path=catalog_path)
    db = open_cites_db(settings)
    index = load_listing_index(db)
    layers = listing_layers(db)
    rows: list[dict[str, Any]] = []
    for layer in layers:
        row = layer.to_dict()
        row["in_use"] = True
        row["current_to"] = index.current_to
        row["stale_warning"] = stale_warning(layer.info) if layer.imported else None
        rows.append(row)
    for info in list_sets(db):
        if info.kind == KIND_LISTINGS:
            continue
        row = info.to_dict()
        row.update(in_use=True, current_to=index.current_to, stale_warning=None)
        rows.append(row)
    if output_format == "json":
        for row in rows:
            echo_json(row)
        return
    table = Table(
        title=(
            f"listing layers, newest effective listing per taxon wins (latest CoP known: "
            f"{LATEST_COP.name}, {LATEST_COP.last_day})"
        )
    )
    for column in ("kind", "name", "current to", "rows", "origin", "sha256"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["kind"],
            row["name"] + (" (complete index)" if row.get("complete") else ""),
            row.get("effective_date") or row["snapshot_date"],
            str(row["row_count"]),
            "shipped" if row["bundled"] else "imported",
            row["sha256"][:12],
        )
    _console().print(table)
    click.echo(f"law current to: {index.current_to} (the newest date any layer is current to)")
    if pending := pending_dates(layers):
        click.echo(f"delayed listings not in force yet, taking effect on: {', '.join(pending)}")
    if not index.eu.loaded:
        click.echo("EU annex: unknown — no data loaded")


@click.command("guidance")
@click.argument("name", nargs=-1, required=True)
@trade_options
@catalog_option
@format_option
@lang_option
@click.pass_context
def guidance_cmd(
    ctx: click.Context,
    name: tuple[str, ...],
    catalog_path: Path | None,
    output_format: str,
    **trade: str | None,
) -> None:
    """What CITES requires for a taxon or material and a declared trade.

    NAME is a scientific name of any rank, a synonym, or a common name in English,
    French or Spanish, quoted or not; a misspelt or partial name is read as the
    clearly closest known name, or answered with ranked suggestions.

    Texts follow --lang (en, fr, es); JSON keys and codes stay English.

    Example:

        idtool guidance Loxodonta africana --origin BW --purpose T --source W

        idtool guidance perroquet gris --origin CM --source W --lang fr
    """
    declaration = declaration_from(trade)
    settings = settings_from(ctx, catalog_path=catalog_path)
    index = load_listing_index(open_cites_db(settings))
    result = guidance_for_label(" ".join(name), declaration, index)
    if output_format == "json":
        echo_json({**result.to_dict(), "lang": get_language()})
        return
    _print_guidance(result)


def register(group: click.Group) -> None:
    """Attach ``cites`` (import, eu-import, status) and ``guidance`` to the root group."""
    group.add_command(cites)
    group.add_command(guidance_cmd)


def _print_guidance(result: Guidance | CombinedGuidance) -> None:
    console = _console()
    g = result.default if isinstance(result, CombinedGuidance) else result
    title = g.matched_name or g.taxon
    appendix = (
        _("Appendix {appendix}").format(appendix=g.cites.appendix)
        if g.cites.appendix
        else status_text(g.status)
    )
    table = Table(title=f"{title}: {appendix}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    if isinstance(result, CombinedGuidance):
        table.add_row(
            _("candidates"),
            "\n".join(
                f"{label_with_name(c.label)}: {_short(c.guidance)}"
                + (f" — {c.how_to_tell_apart}" if c.how_to_tell_apart else "")
                for c in result.candidates
            ),
        )
        table.add_row(_("default"), label_with_name(result.default_label))
    if g.name_match and g.name_match.note:
        table.add_row(_("name"), g.name_match.note)
    table.add_row(_("match"), g.match_note or match_kind_text(g.listing_match))
    names = [
        _("{language}: {names}").format(language=language_name(lang), names=", ".join(found[:3]))
        for lang, found in common_names_first(g.common_names).items()
        if found
    ]
    if names:
        table.add_row(_("common names"), "\n".join(names))
    table.add_row(_("population"), g.cites.population or "")
    if g.cites.population_resolved and len(g.cites.options) > 1 and g.cites.population_note:
        table.add_row(_("why"), g.cites.population_note)
    if g.cites.options and not g.cites.population_resolved:
        table.add_row(
            _("options"),
            "\n".join(
                _("App. {appendix}: {population}").format(
                    appendix=o.appendix, population=o.population
                )
                for o in g.cites.options
            ),
        )
    if g.cites.listed_under:
        table.add_row(_("listed under"), g.cites.listed_under)
    for label, items in (
        (_("prohibitions"), g.prohibitions),
        (_("permits"), g.permits),
        (_("officer checks"), g.officer_checks),
        (_("quotas"), g.quotas),
        (_("reservations"), g.reservations),
        (_("suggestions"), g.suggestions),
        (_("next steps"), result.next_steps),
        (_("warnings"), g.warnings),
    ):
        if items:
            table.add_row(label, "\n".join(f"- {i}" for i in items))
    table.add_row(_("EU"), g.eu.note if g.eu else _("not applicable"))
    if g.listing_set:
        s = g.listing_set
        table.add_row(_("listing set"), f"{s.name} ({s.snapshot_date}, sha256 {s.sha256[:12]}…)")
    console.print(table)
    click.echo(g.disclaimer)


def _short(guidance: Guidance | CombinedGuidance) -> str:
    g = guidance.default if isinstance(guidance, CombinedGuidance) else guidance
    if g.cites.appendix:
        base = _("Appendix {appendix}").format(appendix=g.cites.appendix)
    else:
        base = status_text(g.status)
    return _("{summary} (prohibited as declared)").format(summary=base) if g.prohibitions else base
