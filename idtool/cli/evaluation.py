"""Curator commands that judge the reference set: ``reference audit`` and ``evaluate``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from idtool.catalog.store import Catalog
from idtool.cli.common import (
    balance_option,
    catalog_option,
    echo_err,
    echo_json,
    format_option,
    model_option,
    recipe_options,
    settings_from,
    tiles_option,
)
from idtool.cli.evaluation_field import field_and_candidate, print_field_comparison
from idtool.curation.audit import DEFAULT_MIN_IMAGES, SEVERITIES, audit_reference
from idtool.curation.audit_report import write_audit_html
from idtool.curation.embedding_cache import training_cache_root
from idtool.curation.evaluation import evaluate
from idtool.curation.evaluation_report import (
    Tolerance,
    compare_evaluations,
    read_summary,
    store_evaluation,
    write_evaluation,
)
from idtool.decide.service import IdentificationService
from idtool.errors import ModelBundleError
from idtool.model.bundle import load_bundle
from idtool.model.discovery import resolve_bundle_dir

GATE_FAILED_EXIT = 3


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _embedding_version(settings: Any) -> str | None:
    try:
        return load_bundle(resolve_bundle_dir(settings)).embedding_version
    except ModelBundleError as exc:
        echo_err(
            f"no model bundle ({exc.message}); using the most common embeddings in the catalog"
        )
        return None


@click.command("audit")
@catalog_option
@model_option
@format_option
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="HTML page with thumbnails (default: $IDTOOL_HOME/audit/<reference version>.html).",
)
@click.option(
    "--min-images",
    type=click.IntRange(1, 10000),
    default=DEFAULT_MIN_IMAGES,
    show_default=True,
    help="Classes with fewer active photos are reported.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["never", "error", "warning"]),
    default="never",
    show_default=True,
    help="Exit 1 when there is a finding this severe (for CI).",
)
@click.pass_context
def reference_audit(
    ctx: click.Context,
    catalog_path: Path | None,
    model_dir: Path | None,
    output_format: str,
    html_path: Path | None,
    min_images: int,
    fail_on: str,
) -> None:
    """Find mistakes in the reference set: exact and near duplicates (within and across
    classes), suspect labels, classes with too few photos, unreadable files, missing or
    unclear licences and sources. Each finding names its files.

    Prints a table (or one JSON object per finding) and writes an HTML page that shows the
    photos of each duplicate and suspect finding side by side.

    Example:

        idtool reference audit --format json --html audit.html
    """
    settings = settings_from(ctx, catalog_path=catalog_path, model_dir=model_dir)
    version = _embedding_version(settings)
    catalog = Catalog.open(settings.catalog_path)
    try:
        report = audit_reference(
            catalog,
            version,
            min_images=min_images,
            max_bytes=settings.max_image_bytes,
            max_pixels=settings.max_image_pixels,
            progress=echo_err,
        )
    finally:
        catalog.close()
    target = html_path or settings.home / "audit" / f"{report.reference_version}.html"
    write_audit_html(report, target)
    echo_err(f"wrote {target}")
    if output_format == "json":
        for finding in report.findings:
            echo_json({**finding.to_dict(), "reference_version": report.reference_version})
    else:
        counts = report.counts()
        table = Table(
            title=f"Audit of {report.reference_version}: {report.images} photos, "
            f"{report.classes} classes; {counts['error']} errors, {counts['warning']} warnings, "
            f"{counts['info']} notes"
        )
        for column in ("severity", "finding", "message", "files"):
            table.add_column(column, overflow="fold")
        colour = {"error": "red", "warning": "yellow", "info": "blue"}
        for f in report.findings:
            names = [r.rel_path for r in f.files]
            shown = "\n".join(names[:6]) + (
                f"\n... {len(names) - 6} more" if len(names) > 6 else ""
            )
            table.add_row(f"[{colour[f.severity]}]{f.severity}[/]", f.kind, f.message, shown)
        _console().print(table)
    if fail_on != "never":
        worst = SEVERITIES.index(fail_on)
        if any(SEVERITIES.index(f.severity) <= worst for f in report.findings):
            ctx.exit(1)


@click.command("evaluate")
@catalog_option
@model_option
@recipe_options
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: $IDTOOL_HOME/evaluations/<date>-<reference version>).",
)
@click.option(
    "--unknown",
    "unknown_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of photos of things NOT in the reference set: any identification is wrong.",
)
@click.option(
    "--against",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A previous summary.json: exit 3 if this run is worse beyond the tolerances.",
)
@click.option(
    "--tolerance",
    type=click.FloatRange(0, 1),
    default=Tolerance.accuracy,
    show_default=True,
    help="Allowed drop in top-1, top-3 and selective accuracy.",
)
@click.option(
    "--wrong-tolerance",
    type=click.FloatRange(0, 1),
    default=Tolerance.wrong_rate,
    show_default=True,
    help="Allowed rise in wrong identifications per photo.",
)
@click.option(
    "--class-tolerance",
    type=click.FloatRange(0, 1),
    default=Tolerance.class_recall,
    show_default=True,
    help="Allowed drop in any one class's recall.",
)
@click.option(
    "--unknown-tolerance",
    type=click.FloatRange(0, 1),
    default=Tolerance.unknown_rate,
    show_default=True,
    help="Allowed rise in false identifications of --unknown photos.",
)
@click.option(
    "--field-comparison",
    is_flag=True,
    help="Also evaluate without the confirmed field photos and show both per class.",
)
@click.option(
    "--candidate",
    "candidate_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A candidate bundle: evaluate it on the same folds as the bundle in use and gate it "
    "against that run (exit 3 if worse).",
)
@tiles_option
@balance_option
@format_option
@click.pass_context
def evaluate_command(
    ctx: click.Context,
    catalog_path: Path | None,
    model_dir: Path | None,
    folds: int,
    seed: int,
    out: Path | None,
    unknown_dir: Path | None,
    against: Path | None,
    tolerance: float,
    wrong_tolerance: float,
    class_tolerance: float,
    unknown_tolerance: float,
    target_accuracy: float,
    field_comparison: bool,
    candidate_dir: Path | None,
    tiles: bool | None,
    balanced: bool,
    output_format: str,
) -> None:
    """Cross-validate the reference set and model, honestly, and gate regressions.

    Folds keep near-duplicates on one side; calibration and thresholds are fitted on the
    other folds. Writes summary.json, confusion_matrix.csv/.png, per_class.csv,
    reliability.png and coverage_risk.png to --out, and stores the summary with its
    versions in the catalog. Errors are also reported by CITES appendix: listed photos
    identified as a non-wildlife look-alike are counted apart, and may not increase.
    With --against, exit status 3 means "worse than before" and names the classes.
    With --candidate, the candidate bundle is evaluated on the same folds as the bundle in
    use, and gated against it. With --field-comparison, per class: top-1 of the museum-only
    set next to top-1 with the lab-confirmed field photos (on museum and on field photos).

    Example:

        idtool evaluate --unknown not_in_set/ --out eval/ --against eval-prev/summary.json
    """
    settings = settings_from(ctx, catalog_path=catalog_path, model_dir=model_dir)
    previous = read_summary(against) if against is not None else None
    service = IdentificationService.open(settings)
    try:
        echo_err(
            f"embedding the reference set with {service.bundle.version} ({service.engine.name})..."
        )
        evaluation = evaluate(
            service.catalog,
            service.bundle,
            service.engine,
            folds=folds,
            seed=seed,
            target_selective_accuracy=target_accuracy,
            unknown_dir=unknown_dir,
            tiles=tiles,
            balanced=balanced,
            cache_root=training_cache_root(settings.home),
        )
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        reference_version = evaluation.summary.reference_version
        target = out or settings.home / "evaluations" / f"{stamp}-{reference_version}"
        write_evaluation(evaluation, target)
        evaluation_id = store_evaluation(service.catalog, evaluation.summary)
        summary = evaluation.summary.to_dict()
        extra = field_and_candidate(
            settings,
            service,
            evaluation,
            field_comparison=field_comparison,
            candidate_dir=candidate_dir,
            options={
                "folds": folds,
                "seed": seed,
                "target_selective_accuracy": target_accuracy,
                "tiles": tiles,
                "balanced": balanced,
            },
        )
        summary.update(extra.pop("summary"))
        gated = summary
        if "previous" in extra:  # --candidate: gate the candidate against the bundle in use
            previous, gated = extra["previous"], extra["candidate_summary"]
    finally:
        service.close()
    gate = None
    if previous is not None:
        gate = compare_evaluations(
            previous,
            gated,
            Tolerance(
                accuracy=tolerance,
                wrong_rate=wrong_tolerance,
                class_recall=class_tolerance,
                unknown_rate=unknown_tolerance,
            ),
        )
    if output_format == "json":
        brief = {k: v for k, v in summary.items() if k not in ("coverage_risk", "mistakes")}
        echo_json(
            {
                **brief,
                "evaluation_id": evaluation_id,
                "out": str(target),
                "gate": gate and gate.to_dict(),
            }
        )
    else:
        _print_evaluation(summary, str(target))
        print_field_comparison(summary.get("field_comparison"))
        if gate is not None:
            _print_gate(gate.to_dict())
    if gate is not None and not gate.passed:
        ctx.exit(GATE_FAILED_EXIT)


def _print_evaluation(s: dict[str, Any], out: str) -> None:
    m = s["metrics"]
    console = _console()
    console.print(
        f"[bold]{s['reference_version']}[/bold] with {s['model_version']} "
        f"({s['images']} photos, {len(s['classes'])} classes, {s['folds']}-fold grouped CV, seed {s['seed']})"
    )
    sel = m["selective_accuracy"]
    console.print(
        f"top-1 {m['top1_accuracy']:.3f}  top-3 {m['top3_accuracy']:.3f}  "
        f"ECE {m['ece']:.3f} (uncalibrated {m['ece_uncalibrated']:.3f})\n"
        f"operating point: identified {m['coverage']:.3f} of photos, "
        f"{'n/a' if sel is None else f'{sel:.3f}'} of them right; "
        f"{m['wrong_identifications']} wrong identifications, {m['abstained']} uncertain or "
        f"not in reference; {m['called_not_wildlife']} listed photo(s) called not-wildlife"
    )
    worst = m.get("worst_class")
    if worst:
        console.print(
            f"worst class: {worst['class']} {worst['selective_accuracy']:.3f} right of its "
            f"identified photos, at coverage {worst['coverage']:.3f} "
            f"(average {'n/a' if sel is None else f'{sel:.3f}'} at {m['coverage']:.3f})"
        )
        if worst.get("never_identified"):
            console.print(
                "classes with no photo identified: " + ", ".join(worst["never_identified"])
            )
    points = s.get("operating_points", {})
    final = (s.get("thresholds") or {}).get("final") or {}
    classes = Table(title="per class (top-1 held out; operating point per class)")
    for column in (
        "class",
        "appendix",
        "photos",
        "precision",
        "recall",
        "identified",
        "wrong",
        "coverage",
        "selective",
        "threshold",
    ):
        classes.add_column(column)
    for label, row in s["per_class"].items():
        point = points.get(label, {})
        coverage, selective = point.get("coverage"), point.get("selective_accuracy")
        threshold = (
            "abstains"
            if label in (final.get("abstain") or [])
            else f"{(final.get('per_class') or {}).get(label, final.get('min_confidence', 0)):.3f}"
        )
        classes.add_row(
            label,
            row["appendix"],
            str(row["support"]),
            f"{row['precision']:.2f}",
            f"{row['recall']:.2f}",
            str(row["identified"]),
            str(row["wrong_identifications"]),
            "-" if coverage is None else f"{coverage:.2f}",
            "-" if selective is None else f"{selective:.3f}",
            threshold,
        )
    console.print(classes)
    _print_items(console, s.get("items") or {})
    appendix = Table(title="errors by CITES appendix of the true class")
    for column in (
        "appendix",
        "photos",
        "top-1",
        "identified",
        "wrong",
        "called not-wildlife",
        "lower protection",
        "called wildlife",
        "abstained",
    ):
        appendix.add_column(column)
    for category, row in s["by_appendix"].items():
        appendix.add_row(
            category,
            str(row["images"]),
            f"{row['top1_accuracy']:.3f}",
            str(row["identified"]),
            str(row["wrong_identifications"]),
            str(row["called_not_wildlife"]),
            str(row["lower_protection"]),
            str(row["called_wildlife"]),
            str(row["abstained"]),
        )
    console.print(appendix)
    unknown = s.get("unknown")
    if unknown:
        console.print(
            f"not-in-the-set photos: {unknown['false_identifications']} of {unknown['processed']} "
            f"wrongly identified; decisions {unknown['decisions']}"
        )
        for item in unknown["items"]:
            if item.get("decision") == "identified":
                console.print(
                    f"  {item['image']}: identified as {item['label']} ({item['confidence']:.2f})"
                )
    console.print(f"wrote {out}")


def _print_items(console: Console, items: dict[str, Any]) -> None:
    """Single photos against 2- and 3-photo items, side by side."""
    if not items.get("sizes"):
        return
    table = Table(title="one photo vs several photos of one item (held-out folds)")
    for column in ("photos", "fusion", "items", "top-1", "coverage", "selective", "worst class"):
        table.add_column(column)
    for size, rules in items["sizes"].items():
        for rule, row in rules.items():
            worst = row.get("worst_class") or {}
            sel = row.get("selective_accuracy")
            table.add_row(
                size,
                rule,
                str(row["items"]),
                f"{row['top1_accuracy']:.3f}",
                f"{row['coverage']:.3f}",
                "-" if sel is None else f"{sel:.3f}",
                f"{worst.get('class', '-')} {worst.get('selective_accuracy', '')}"
                f" @ {worst.get('coverage', '')}",
            )
    console.print(table)


def _print_gate(gate: dict[str, Any]) -> None:
    console = _console()
    if gate["passed"]:
        console.print(f"[green]gate passed[/green] against {gate['previous']['reference_version']}")
    else:
        console.print(f"[red]gate FAILED[/red] against {gate['previous']['reference_version']}:")
        for r in gate["regressions"]:
            what = f"{r['metric']} of {r['class']}" if "class" in r else r["metric"]
            console.print(
                f"  {what}: {r['previous']} -> {r['current']} (tolerance {r['tolerance']})"
            )
        if gate["worse_classes"]:
            console.print(f"  classes that got worse: {', '.join(gate['worse_classes'])}")
    for note in gate["notes"]:
        console.print(f"  note: {note}")


def register(group: click.Group) -> None:
    """Add ``audit`` to the existing ``reference`` group and ``evaluate`` to the root."""
    reference = group.commands["reference"]
    if not isinstance(reference, click.Group):
        raise TypeError("the reference command must be a group")
    reference.add_command(reference_audit)
    group.add_command(evaluate_command)
