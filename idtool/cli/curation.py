"""Curator commands that edit the reference set: reference add/remove/show/provenance/history/rename-class."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from idtool.catalog.reference_import import Provenance
from idtool.catalog.store import Catalog
from idtool.cli.common import (
    catalog_option,
    echo_json,
    format_option,
    model_option,
    settings_from,
)
from idtool.curation.reference_edits import (
    add_photos,
    history,
    provenance_summary,
    remove_photos,
    rename_class,
    show_class,
)
from idtool.decide.service import IdentificationService


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


@click.command("add")
@click.argument("label", metavar="CLASS")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source", default=None, help="Where the photos come from (URL, collection, case).")
@click.option("--licence", "--license", "licence", default=None, help="Licence, e.g. CC-BY-4.0.")
@click.option("--photographer", default=None, help="Who took the photos.")
@click.option("--notes", default=None, help="Free text kept with each photo.")
@click.option(
    "--no-copy",
    is_flag=True,
    help="Record the files where they are instead of copying them to "
    "$IDTOOL_HOME/reference/<Class>/ (they must then stay there).",
)
@catalog_option
@model_option
@format_option
@click.pass_context
def reference_add(
    ctx: click.Context,
    label: str,
    images: tuple[Path, ...],
    source: str | None,
    licence: str | None,
    photographer: str | None,
    notes: str | None,
    no_copy: bool,
    catalog_path: Path | None,
    model_dir: Path | None,
    output_format: str,
) -> None:
    """Add photos IMAGES of class CLASS to the reference set and embed them.

    CLASS is "Genus species" (or Genus_species), a higher taxon or material_<name>; a
    new class is created. The photos are copied into $IDTOOL_HOME/reference/<Class>/ and
    the originals are left alone. A photo already in the set under another label is
    refused. Who and when go into the history; the reference version changes. Exit 1
    only when no photo was added.

    Example:

        idtool reference add "Panthera tigris" tiger1.jpg --licence CC-BY-4.0 --source inaturalist.org/photos/1
    """
    settings = settings_from(ctx, catalog_path=catalog_path, model_dir=model_dir)
    service = IdentificationService.open(settings)
    try:
        report = add_photos(
            service.catalog,
            service.embedder(),
            label,
            images,
            Provenance(licence=licence, source=source, photographer=photographer, notes=notes),
            store_dir=None if no_copy else settings.home / "reference",
            max_bytes=settings.max_image_bytes,
            max_pixels=settings.max_image_pixels,
        )
    finally:
        service.close()
    if output_format == "json":
        echo_json(report.to_dict())
    else:
        click.echo(f"{report.label}: {len(report.added)} added, {len(report.skipped)} skipped")
        for item in report.added:
            click.echo(f"  added {item['original']} -> {item['path']} (id {item['id']})")
        for item in report.skipped:
            click.echo(f"  skipped {item['path']}: [{item['code']}] {item['message']}")
        click.echo(
            f"reference version {report.reference_version_before} -> {report.reference_version}"
        )
    if not report.added:
        ctx.exit(1)


@click.command("remove")
@click.argument("targets", nargs=-1, metavar="IMAGE...")
@click.option("--reason", required=True, help="Why the photos leave the set (kept in the history).")
@click.option("--class", "label", default=None, help="Remove every photo of this class.")
@catalog_option
@format_option
@click.pass_context
def reference_remove(
    ctx: click.Context,
    targets: tuple[str, ...],
    reason: str,
    label: str | None,
    catalog_path: Path | None,
    output_format: str,
) -> None:
    """Take photos out of the reference set (by id, path or Class/file.jpg).

    Nothing is deleted: the catalog row is deactivated, the file stays, and the history
    records who, when and why. Adding the photo again brings it back.

    Example:

        idtool reference remove Scleractinia/coral_07.jpg --reason "shows a cheetah, mislabelled"
    """
    settings = settings_from(ctx, catalog_path=catalog_path)
    catalog = Catalog.open(settings.catalog_path)
    try:
        removed = remove_photos(catalog, targets, reason, label=label)
        version = catalog.reference_version()
    finally:
        catalog.close()
    if output_format == "json":
        echo_json({"removed": removed, "reason": reason, "reference_version": version})
        return
    for item in removed:
        click.echo(f"removed {item['label']}: {item['path']} (id {item['id']})")
    click.echo(f"{len(removed)} photo(s) removed; reference version {version}")


@click.command("rename-class")
@click.argument("old")
@click.argument("new")
@click.option("--merge", is_flag=True, help="Allow NEW to exist already: merge OLD into it.")
@catalog_option
@format_option
@click.pass_context
def reference_rename_class(
    ctx: click.Context,
    old: str,
    new: str,
    merge: bool,
    catalog_path: Path | None,
    output_format: str,
) -> None:
    """Rename class OLD to NEW, keeping every photo's provenance, embeddings and history.

    One transaction; the history keeps the old label and its taxon record. Files are not
    moved: rename the source folder too, or a later `reference import` of it restores OLD.

    Example:

        idtool reference rename-class "Naja samarensis" "Naja sumatrana" --merge
    """
    settings = settings_from(ctx, catalog_path=catalog_path)
    catalog = Catalog.open(settings.catalog_path)
    try:
        report = rename_class(catalog, old, new, merge=merge)
    finally:
        catalog.close()
    if output_format == "json":
        echo_json(report.to_dict())
        return
    verb = "merged into" if report.merged else "renamed to"
    click.echo(f"{report.old_label} {verb} {report.new_label}: {report.images} photo(s)")
    click.echo(f"reference version {report.reference_version_before} -> {report.reference_version}")


@click.command("show")
@click.argument("label", metavar="CLASS")
@click.option("--all", "show_all", is_flag=True, help="Include removed photos.")
@catalog_option
@format_option
@click.pass_context
def reference_show(
    ctx: click.Context, label: str, show_all: bool, catalog_path: Path | None, output_format: str
) -> None:
    """Show one class: its taxonomy, every photo with its provenance, and its history.

    Example:

        idtool reference show "Panthera tigris" --all
    """
    settings = settings_from(ctx, catalog_path=catalog_path)
    catalog = Catalog.open(settings.catalog_path)
    try:
        view = show_class(catalog, label)
    finally:
        catalog.close()
    if output_format == "json":
        echo_json(view.to_dict())
        return
    t = view.taxon
    console = _console()
    lineage = " > ".join(t.lineage[r] for r in t.lineage)
    console.print(f"[bold]{t.label}[/bold] ({t.rank}) {lineage}")
    if t.common_names:
        console.print(f"common names: {', '.join(t.common_names)}")
    console.print(
        f"{view.active_count} active photo(s) of {len(view.images)}; {view.reference_version}"
    )
    table = Table()
    for column in ("id", "file", "licence", "source", "photographer", "added", "active"):
        table.add_column(column, overflow="fold")
    for img in view.images:
        if img["active"] or show_all:
            table.add_row(
                str(img["id"]),
                img["rel_path"],
                img["licence"] or "[red]none[/red]",
                img["source"] or "",
                img["photographer"] or "",
                f"{(img['added_at'] or '')[:10]} {img['added_by'] or ''}",
                "yes" if img["active"] else "[red]removed[/red]",
            )
    console.print(table)
    _print_history(console, view.history)


def _print_history(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="history")
    for column in ("when", "who", "action", "label", "details"):
        table.add_column(column, overflow="fold")
    for row in rows:
        details = row["details"]
        short = {k: v for k, v in details.items() if k not in ("files", "old_taxon")}
        if "files" in details:
            short["files"] = len(details["files"])
        table.add_row(row["at"], row["who"], row["action"], row["label"] or "", json.dumps(short))
    console.print(table)


@click.command("provenance")
@catalog_option
@format_option
@click.pass_context
def reference_provenance(ctx: click.Context, catalog_path: Path | None, output_format: str) -> None:
    """Count the active photos per class, source and licence.

    Example:

        idtool reference provenance --format json
    """
    settings = settings_from(ctx, catalog_path=catalog_path)
    catalog = Catalog.open(settings.catalog_path)
    try:
        rows = provenance_summary(catalog)
        version = catalog.reference_version()
    finally:
        catalog.close()
    if output_format == "json":
        for row in rows:
            echo_json({**row, "reference_version": version})
        return
    table = Table(title=f"Provenance of reference set {version}")
    for column in ("class", "photos", "licence", "source"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["label"],
            str(row["images"]),
            row["licence"] or "[red]none[/red]",
            row["source"] or "[red]none[/red]",
        )
    _console().print(table)


@click.command("history")
@click.option("--class", "label", default=None, help="Only this class.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@catalog_option
@format_option
@click.pass_context
def reference_history(
    ctx: click.Context, label: str | None, limit: int, catalog_path: Path | None, output_format: str
) -> None:
    """Show who changed the reference set, when, and how (newest last).

    Example:

        idtool reference history --class "Panthera tigris"
    """
    settings = settings_from(ctx, catalog_path=catalog_path)
    catalog = Catalog.open(settings.catalog_path)
    try:
        rows = history(catalog, label, limit)
    finally:
        catalog.close()
    if output_format == "json":
        for row in rows:
            echo_json(row)
        return
    _print_history(_console(), rows)


def register(group: click.Group) -> None:
    """Add the curator commands to the existing ``reference`` group."""
    reference = group.commands["reference"]
    if not isinstance(reference, click.Group):
        raise TypeError("the reference command must be a group")
    for command in (
        reference_add,
        reference_remove,
        reference_rename_class,
        reference_show,
        reference_provenance,
        reference_history,
    ):
        reference.add_command(command)
