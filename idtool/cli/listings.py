"""``idtool listings``: triage saved marketplace listings (adverts) into a ranked worklist."""

from __future__ import annotations

from pathlib import Path

import click

from idtool.batch.items import JobOptions
from idtool.batch.progress import progress_for_stderr
from idtool.cli.common import (
    catalog_option,
    declaration_from,
    echo_err,
    echo_json,
    format_option,
    job_options,
    model_option,
    settings_from,
    trade_options,
)
from idtool.listings.lexicon import SHIPPED_LEXICON
from idtool.listings.pipeline import MarketListingsRequest, MarketListingsSummary, run_listings

EXIT_INTERRUPTED = 130


def _summary_dict(summary: MarketListingsSummary) -> dict[str, object]:
    report = summary.report
    return {
        "listings": summary.listings,
        "unreadable": summary.unreadable,
        "photos": summary.photos,
        "missing_photos": summary.missing_photos,
        "already_done": summary.already_done,
        "processed": summary.processed,
        "elapsed_s": round(summary.elapsed_s, 2),
        "listings_per_min": round(summary.listings_per_min, 1),
        "engine": summary.engine,
        "runtime": summary.runtime,
        "interrupted": summary.interrupted,
        "levels": summary.levels,
        "counts": report.counts if report else None,
        "report": {"html": str(report.html), "csv": str(report.csv), "jsonl": str(report.jsonl)}
        if report
        else None,
    }


@click.command("listings")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "report_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Report folder: listings.jsonl, listings.csv, report.html, thumbs/, captured/, job.db.",
)
@catalog_option
@model_option
@click.option(
    "--lexicon",
    type=click.Path(dir_okay=False, path_type=Path),
    default=SHIPPED_LEXICON,
    show_default="the shipped idtool/data/lexicon.tsv",
    help="Trade-term lexicon (TSV: term, language, meaning, taxa, weight, source).",
)
@click.option(
    "--lang",
    "languages",
    multiple=True,
    help="Use only lexicon terms of this language (repeat: --lang en --lang zh); default all.",
)
@job_options
@trade_options
@format_option
@click.pass_context
def listings(
    ctx: click.Context,
    inputs: tuple[Path, ...],
    report_dir: Path,
    catalog_path: Path | None,
    model_dir: Path | None,
    lexicon: Path,
    languages: tuple[str, ...],
    workers: int,
    batch_size: int,
    engine: str,
    runtime: str,
    ray_address: str | None,
    top_k: int,
    output_format: str,
    **trade: str | None,
) -> None:
    """Rank saved marketplace listings (adverts: exports, saved pages, WARC) for investigation.

    INPUTS are JSON Lines or CSV exports, pages saved from a browser (.html with its
    _files folder), WARC files, or folders of them. Each listing's text is searched
    for CITES-listed taxon names and trade terms or code words (the lexicon), its photos
    go through identify, listings sharing a photo, seller, phone or handle are linked,
    and each gets an explained priority. Photo results are saved as they are produced:
    after Ctrl-C or a crash, run the same command again. Trade flags set the declared
    trade for the photos' guidance.

    Example:

        idtool listings ~/case-118/saved-listings export.csv --out ~/case-118/triage
    """
    settings = settings_from(ctx, catalog_path=catalog_path, model_dir=model_dir)
    options = JobOptions(
        declaration=declaration_from(trade),
        top_k=top_k,
        max_bytes=settings.max_image_bytes,
        max_pixels=settings.max_image_pixels,
    )
    request = MarketListingsRequest(
        inputs=tuple(inputs),
        report_dir=report_dir,
        options=options,
        lexicon=lexicon,
        languages=frozenset(lang.lower() for lang in languages) or None,
        engine=engine,
        runtime=runtime,
        workers=workers,
        batch_size=batch_size,
        ray_address=ray_address,
    )
    summary = run_listings(settings, request, progress_for_stderr())
    if summary.interrupted:
        echo_err(
            f"interrupted: {summary.already_done + summary.processed} of {summary.photos} "
            f"photos are saved in {report_dir / 'job.db'}; run the same command again to continue"
        )
        ctx.exit(EXIT_INTERRUPTED)
    if output_format == "json":
        echo_json(_summary_dict(summary))
    else:
        _print_summary(summary)
    if summary.listings == 0 or summary.unreadable == summary.listings:
        echo_err("no listing could be read (see the report for the reasons)")
        ctx.exit(1)


def register(group: click.Group) -> None:
    """Attach ``listings`` to the root group."""
    group.add_command(listings)


def _print_summary(summary: MarketListingsSummary) -> None:
    click.echo(
        f"{summary.listings} listings ({summary.unreadable} with read errors), {summary.photos} "
        f"photos ({summary.missing_photos} missing): {summary.already_done} already identified, "
        f"{summary.processed} now, in {summary.elapsed_s:.1f} s "
        f"({summary.listings_per_min:.0f} listings/min, {summary.engine}/{summary.runtime})"
    )
    if summary.report is None:
        return
    for title, counts in summary.report.counts.items():
        click.echo(f"{title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    click.echo(f"report: {summary.report.html}")
    click.echo(f"        {summary.report.csv}")
    click.echo(f"        {summary.report.jsonl}")
    click.echo("A ranked worklist is probable cause, not proof.")
