"""``idtool evidence verify|reanchor|listings|export``: parse, call, format."""

from __future__ import annotations

from pathlib import Path

import click

from idtool.catalog.store import current_user
from idtool.cli.common import catalog_option, echo_json, format_option, settings_from
from idtool.evidence.confirmations import METHODS
from idtool.evidence.export import export_case
from idtool.evidence.store import EvidenceStore, check_text
from idtool.evidence.verify import verify_store


@click.group("evidence")
def evidence() -> None:
    """Check and export the stored evidence (originals, records, custody log)."""


@evidence.command("verify")
@format_option
@click.pass_context
def verify(ctx: click.Context, output_format: str) -> None:
    """Re-hash every stored original, check each record, walk the custody chain.

    Exit status 1 when anything does not match.

    Example:

        idtool evidence verify
    """
    settings = settings_from(ctx)
    with EvidenceStore.open(settings.evidence_path) as store:
        report = verify_store(store)
    if output_format == "json":
        echo_json(report.to_dict())
    else:
        click.echo(
            f"{report.records} records, {report.files} originals, "
            f"{report.custody_entries} custody entries in {settings.evidence_path}"
        )
        for note in report.notes:
            click.echo(f"note: {note}")
        for path in report.leftovers:
            click.echo(f"leftover temporary file: {path}")
        for problem in report.problems:
            click.echo(f"MISMATCH: {problem}")
        click.echo("OK: everything verifies" if report.ok else "FAILED: evidence was altered")
    if not report.ok:
        ctx.exit(1)


@evidence.command("reanchor")
@click.option(
    "--reason",
    required=True,
    help="Why the anchor is re-written (what was checked); kept in the custody log.",
)
@format_option
@click.pass_context
def reanchor(ctx: click.Context, reason: str, output_format: str) -> None:
    """Re-write a missing or unreadable custody anchor (custody_head.json).

    While the anchor is missing or unreadable the store refuses every write. Run
    `idtool evidence verify` first: this command refuses when the custody chain does
    not verify, or when the anchor is readable and shows entries cut from the end of
    the log. The old file is kept aside as found, and a `reanchor` custody entry names
    you, the reason and what the anchor was.

    Example:

        idtool evidence reanchor --reason "anchor lost with the SD card; verify OK"
    """
    settings = settings_from(ctx)
    with EvidenceStore.open(settings.evidence_path) as store:
        entry = store.reanchor(current_user(), reason)
    if output_format == "json":
        echo_json(entry.to_dict())
    else:
        click.echo(
            f"custody anchor re-written at entry {entry.seq} "
            f"(it was {entry.details['previous_anchor']['state']}); writes resume"
        )


@evidence.command("listings")
@click.argument("report_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--case-ref", required=True, help="Case reference to file the evidence under.")
@click.option(
    "--id",
    "ids",
    multiple=True,
    help="Listing id to add (repeat); default: every listing at --level or above.",
)
@click.option(
    "--level",
    type=click.Choice(["high", "medium", "low"]),
    default="high",
    show_default=True,
    help="Without --id: add the listings at this priority level or above.",
)
@format_option
@click.pass_context
def listings(
    ctx: click.Context,
    report_dir: Path,
    case_ref: str,
    ids: tuple[str, ...],
    level: str,
    output_format: str,
) -> None:
    """Add the captured files of triaged listings (REPORT_DIR of `idtool listings`).

    Each page, export, WARC and photo a chosen listing was read from is checked against
    the SHA-256 recorded at triage, stored unchanged and logged in the custody chain
    under --case-ref. Adding a listing twice stores nothing twice. Export the case with
    `idtool evidence export`.

    Example:

        idtool evidence listings ~/case-118/triage --case-ref CASE-2026-0118 --level high
    """
    from idtool.listings.evidence_import import (
        add_listing_evidence,
        report_model_version,
        select_listings,
    )

    settings = settings_from(ctx)
    case = check_text("case_ref", case_ref) or ""
    chosen = select_listings(report_dir, ids, level)
    with EvidenceStore.open(settings.evidence_path) as store:
        report = add_listing_evidence(
            store,
            chosen,
            case_ref=case,
            officer=current_user(),
            model_version=report_model_version(report_dir),
        )
    if output_format == "json":
        echo_json(report.to_dict())
    else:
        click.echo(
            f"{report.listings} listing(s): {report.records_added} file(s) added to "
            f"{case}, {report.already_stored} already stored"
        )


@evidence.command("confirm")
@click.argument("record_id")
@click.option("--label", required=True, help="What the item is: a taxon or a material.")
@click.option(
    "--method",
    required=True,
    type=click.Choice(METHODS, case_sensitive=False),
    help="How it was established.",
)
@click.option("--by", "by", required=True, help="Who established it (laboratory, expert).")
@click.option("--report-ref", default=None, help="The laboratory report's reference.")
@catalog_option
@format_option
@click.pass_context
def confirm(
    ctx: click.Context,
    record_id: str,
    label: str,
    method: str,
    by: str,
    report_ref: str | None,
    catalog_path: Path | None,
    output_format: str,
) -> None:
    """Record a laboratory confirmation of what RECORD_ID's item really is.

    The label is read like a guidance name: scientific, synonym or common name
    (English, French, Spanish), or a material (ivory, material_bone). The confirmation
    is one append-only custody entry; a later confirmation supersedes it, never erases
    it. Confirmed records can enter the reference set (`idtool reference
    import-confirmed`).

    Example:

        idtool evidence confirm 3f2a9c... --label "Panthera tigris" --method dna --by "NFL lab" --report-ref LAB-2026-118
    """
    from idtool.catalog.store import Catalog
    from idtool.cites import load_listing_index
    from idtool.cites.names import names_for
    from idtool.evidence.confirmations import confirm_record
    from idtool.learn.labels import known_taxa, resolve_label

    settings = settings_from(ctx, catalog_path=catalog_path)
    catalog = Catalog.open(settings.catalog_path)
    try:
        resolved = resolve_label(
            label, known_taxa(catalog.taxa()), names_for(load_listing_index(catalog.db))
        )
    finally:
        catalog.close()
    with EvidenceStore.open(settings.evidence_path) as store:
        confirmation = confirm_record(
            store,
            record_id,
            label=resolved,
            method=method,
            by=by,
            report_ref=report_ref,
            actor=current_user(),
        )
    if output_format == "json":
        echo_json({"record_id": record_id, **confirmation.to_dict()})
        return
    click.echo(
        f"record {record_id} confirmed as {confirmation.label} ({confirmation.method}, "
        f"{confirmation.by}); custody entry {confirmation.seq}"
    )
    if resolved.note:
        click.echo(f"note: {resolved.note}")
    if confirmation.supersedes is not None:
        click.echo(f"supersedes the confirmation in custody entry {confirmation.supersedes}")


@evidence.command("export")
@click.argument("case_ref")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@format_option
@click.pass_context
def export(ctx: click.Context, case_ref: str, directory: Path, output_format: str) -> None:
    """Write every record of CASE_REF into DIRECTORY: originals, JSON, manifest.

    DIRECTORY must be new or empty. Everything is written to a temporary folder
    beside it and renamed into place only when complete. manifest.json lists each
    file with its SHA-256; each export (or failed export) is logged in the custody log.

    Example:

        idtool evidence export CASE-2025-0042 /media/usb/case42
    """
    settings = settings_from(ctx)
    with EvidenceStore.open(settings.evidence_path) as store:
        report = export_case(store, case_ref, directory, current_user())
    if output_format == "json":
        echo_json(report.to_dict())
    else:
        click.echo(f"exported {report.items} item(s) of {case_ref} to {directory}")
        click.echo(f"manifest: {report.manifest}")


def register(group: click.Group) -> None:
    """Attach the ``evidence`` group to the root group."""
    group.add_command(evidence)
