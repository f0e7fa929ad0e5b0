"""``idtool batch``: identify a folder of photos, resumably, and write a report."""

from __future__ import annotations

from pathlib import Path

import click

from idtool.batch.item_groups import ITEMS_BY, identify_items
from idtool.batch.items import JobOptions
from idtool.batch.pipeline import (
    BatchRequest,
    BatchSummary,
    run_batch,
)
from idtool.batch.progress import progress_for_stderr
from idtool.cli.common import (
    catalog_option,
    declaration_from,
    echo_err,
    echo_json,
    format_option,
    job_options,
    lang_option,
    model_option,
    settings_from,
    trade_options,
)
from idtool.i18n import get_language
from idtool.i18n import gettext as _

EXIT_INTERRUPTED = 130


def _summary_dict(summary: BatchSummary) -> dict[str, object]:
    report = summary.report
    return {
        "files": summary.files,
        "images": summary.images,
        "duplicates": summary.duplicates,
        "skipped": summary.skipped,
        "already_done": summary.already_done,
        "processed": summary.processed,
        "succeeded": summary.succeeded,
        "failed": summary.failed,
        "elapsed_s": round(summary.elapsed_s, 2),
        "images_per_s": round(summary.images_per_s, 2),
        "engine": summary.engine,
        "runtime": summary.runtime,
        "interrupted": summary.interrupted,
        "counts": report.counts if report else None,
        "report": {
            "html": str(report.html),
            "csv": str(report.csv),
            "jsonl": str(report.jsonl),
        }
        if report
        else None,
    }


@click.command("batch")
@click.argument("input_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--out",
    "report_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Report folder: job.db (resumable job table), results.csv/.jsonl, report.html.",
)
@catalog_option
@model_option
@job_options
@click.option(
    "--items-by",
    type=click.Choice(ITEMS_BY),
    default=None,
    help="Also identify items: 'folder' makes each leaf folder one item, fused from its "
    "photos, written to items.jsonl and items.csv (per-photo rows stay in results.jsonl).",
)
@trade_options
@format_option
@lang_option
@click.pass_context
def batch(
    ctx: click.Context,
    input_dir: Path,
    report_dir: Path,
    catalog_path: Path | None,
    model_dir: Path | None,
    workers: int,
    batch_size: int,
    engine: str,
    runtime: str,
    ray_address: str | None,
    top_k: int,
    items_by: str | None,
    output_format: str,
    **trade: str | None,
) -> None:
    """Identify every photo under INPUT_DIR and write a report to --out.

    Walks INPUT_DIR recursively; identical files are identified once, other files are
    listed as skipped. Results are saved as they are produced: after Ctrl-C or a
    crash, run the same command again to continue where it stopped. With trade flags
    (--origin, --purpose, ...) the guidance is for that declared trade. The exit
    status is 1 only when no image could be identified. With --items-by folder, each
    leaf folder is one item (several photos of one object) and gets one fused row in
    items.jsonl and items.csv.

    Example:

        idtool batch ~/seizure-2024-118 --out ~/seizure-2024-118-report --origin CM --purpose T

        idtool batch ~/seizure-2024-118 --out ~/report --items-by folder
    """
    settings = settings_from(ctx, catalog_path=catalog_path, model_dir=model_dir)
    declaration = declaration_from(trade)
    options = JobOptions(
        declaration=declaration,
        top_k=top_k,
        max_bytes=settings.max_image_bytes,
        max_pixels=settings.max_image_pixels,
        lang=get_language(),
    )
    request = BatchRequest(
        input_dir=input_dir,
        report_dir=report_dir,
        options=options,
        engine=engine,
        runtime=runtime,
        workers=workers,
        batch_size=batch_size,
        ray_address=ray_address,
    )
    summary = run_batch(settings, request, progress_for_stderr())
    if summary.interrupted:
        echo_err(
            f"interrupted: {summary.already_done + summary.processed} of {summary.images} "
            f"images are saved in {report_dir / 'job.db'}; run the same command again "
            "to continue"
        )
        ctx.exit(EXIT_INTERRUPTED)
    items = None
    if items_by is not None:
        items = identify_items(
            settings,
            input_dir,
            report_dir,
            options,
            items_by=items_by,
            runtime=runtime,
            progress=echo_err,
        )
    if output_format == "json":
        echo_json({**_summary_dict(summary), **({"items": items.to_dict()} if items else {})})
    else:
        _print_summary(summary)
        if items is not None:
            click.echo(
                f"items: {items.items} ({items.identified} identified) in {items.jsonl}"
                f" and {items.csv}"
            )
    if summary.succeeded == 0:
        echo_err("no image could be identified (see the report for the reasons)")
        ctx.exit(1)


def register(group: click.Group) -> None:
    """Attach ``batch`` to the root group."""
    group.add_command(batch)


def _print_summary(summary: BatchSummary) -> None:
    click.echo(
        f"{summary.images} images ({summary.duplicates} identical copies, {summary.skipped} "
        f"files skipped): {summary.already_done} already done, {summary.processed} identified "
        f"now in {summary.elapsed_s:.1f} s ({summary.images_per_s:.1f} img/s, "
        f"{summary.engine}/{summary.runtime})"
    )
    if summary.report is None:
        return
    for title, counts in summary.report.counts.items():
        if title == "class":
            counts = dict(list(counts.items())[:10])
        click.echo(f"{title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    click.echo(f"report: {summary.report.html}")
    click.echo(f"        {summary.report.csv}")
    click.echo(f"        {summary.report.jsonl}")
    click.echo(_("Visual identification is probable cause, not proof."))
