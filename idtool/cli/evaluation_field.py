"""``idtool evaluate``'s field parts: photos by provenance, museum-only run, candidate run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from idtool.catalog.store import Catalog
from idtool.cli.common import echo_err
from idtool.curation.evaluation import evaluate
from idtool.decide.service import IdentificationService
from idtool.model.bundle import load_bundle


def field_and_candidate(
    settings: Any,
    runtime: IdentificationService,
    evaluation: Any,
    *,
    field_comparison: bool,
    candidate_dir: Path | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    """The provenance breakdown, the museum-only run and the candidate's run, if asked."""
    import tempfile

    from idtool.learn.field_evaluation import (
        has_field_photos,
        museum_only_catalog,
        provenance_breakdown,
        side_by_side,
    )
    from idtool.model.runtime import load_engine

    out: dict[str, Any] = {"summary": {}}
    breakdown = provenance_breakdown(runtime.catalog, evaluation)
    out["summary"]["provenance"] = breakdown
    if field_comparison and has_field_photos(runtime.catalog):
        with tempfile.TemporaryDirectory(prefix="idtool-museum-only-") as tmp:
            path = museum_only_catalog(settings.catalog_path, Path(tmp) / "catalog.db")
            museum = Catalog.open(path)
            try:
                echo_err("evaluating the museum-only set (field photos left out)...")
                museum_run = evaluate(museum, runtime.bundle, runtime.engine, **options)
                rows = side_by_side(provenance_breakdown(museum, museum_run), breakdown)
            finally:
                museum.close()
        out["summary"]["field_comparison"] = {
            "museum_only": {
                "reference_version": museum_run.summary.reference_version,
                "metrics": museum_run.summary.to_dict()["metrics"],
            },
            "per_class": rows,
        }
    if candidate_dir is not None:
        candidate = load_bundle(candidate_dir)
        engine = load_engine(candidate, "auto", settings.inference_threads)
        echo_err(f"evaluating the candidate {candidate.version} on the same folds...")
        run = evaluate(runtime.catalog, candidate, engine, groups=evaluation.groups, **options)
        # the gate compares the candidate (current) with the bundle in use (previous)
        out["previous"] = evaluation.summary.to_dict()
        out["summary"]["candidate"] = {
            "model_version": candidate.version,
            "metrics": run.summary.to_dict()["metrics"],
            "per_class": run.summary.to_dict()["per_class"],
            "same_folds_as": evaluation.summary.model_version,
        }
        out["candidate_summary"] = run.summary.to_dict()
    return out


def print_field_comparison(comparison: dict[str, Any] | None) -> None:
    if not comparison:
        return
    table = Table(title="museum-only vs with confirmed field photos (top-1, held out)")
    for column in ("class", "museum", "field", "museum-only", "with field: museum", "field"):
        table.add_column(column)

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    for row in comparison["per_class"]:
        table.add_row(
            row["class"],
            str(row["museum_photos"]),
            str(row["field_photos"]),
            fmt(row["museum_only_top1"]),
            fmt(row["with_field_top1_museum"]),
            fmt(row["with_field_top1_field"]),
        )
    Console().print(table)
