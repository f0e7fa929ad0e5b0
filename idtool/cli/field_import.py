"""``idtool reference import-confirmed``: parse, call, format."""

from __future__ import annotations

from pathlib import Path

import click

from idtool.cli.common import catalog_option, echo_json, format_option, model_option, settings_from


@click.command("import-confirmed")
@click.argument("source")
@click.option("--post", default=None, help="Name of the post the photos come from.")
@catalog_option
@model_option
@format_option
@click.pass_context
def import_confirmed_command(
    ctx: click.Context,
    source: str,
    post: str | None,
    catalog_path: Path | None,
    model_dir: Path | None,
    output_format: str,
) -> None:
    """Add the originals of lab-confirmed records in SOURCE to the reference set.

    SOURCE is a case folder written by `idtool evidence export`, or a post's state
    folder (its IDTOOL_HOME or evidence folder). Only full originals are used, never
    working copies, each checked against its SHA-256; provenance (post, record, method,
    confirmation) is kept, and each seized item is one group for cross-validation.
    Importing twice adds nothing. New classes enter the taxonomy; retrain with
    `idtool train`.

    Example:

        idtool reference import-confirmed /media/usb/case42 --post "Port of Mombasa"
    """
    from idtool.decide.service import IdentificationService
    from idtool.learn.confirmed_sources import open_confirmed_source
    from idtool.learn.field_import import import_confirmed

    settings = settings_from(ctx, catalog_path=catalog_path, model_dir=model_dir)
    reader = open_confirmed_source(source, post)
    runtime = IdentificationService.open(settings)
    try:
        report = import_confirmed(
            runtime.catalog,
            runtime.embedder(),
            reader,
            settings.home,
            listings=runtime.listings(),
        )
    finally:
        runtime.close()
    if output_format == "json":
        echo_json(report.to_dict())
        return
    imported = report.imported
    click.echo(
        f"{report.confirmed} confirmed record(s) from {report.post}: {imported.added} added, "
        f"{imported.updated} updated, {imported.unchanged} unchanged"
    )
    for label, listing in sorted(report.new_classes.items()):
        appendices = ", ".join(listing.get("appendices") or []) or listing.get("status")
        click.echo(f"new class {label} (CITES: {appendices})")
    for record_id, reason in report.skipped:
        click.echo(f"  skipped record {record_id}: {reason}")
    for path, reason in imported.skipped:
        click.echo(f"  skipped {path}: {reason}")
    click.echo(f"reference version {imported.reference_version}: retrain with `idtool train`")


def register(group: click.Group) -> None:
    """Add ``import-confirmed`` to the existing ``reference`` group."""
    reference = group.commands["reference"]
    if not isinstance(reference, click.Group):
        raise TypeError("the reference command must be a group")
    reference.add_command(import_confirmed_command)
