"""Run ``idtool listings``: read, identify the photos (resumably), link, score, report.

The photos go through the batch machinery unchanged: the same job table
(:class:`idtool.batch.jobs.JobStore`, results keyed by SHA-256 and committed batch by
batch, so a killed run loses at most one batch), the same local or Ray executor and the
same per-image JSON as ``idtool identify``. A photo shared by many listings is identified
once. Reading, text analysis, linking and scoring are fast and deterministic, so they are
redone on every run; a re-run over the same inputs identifies nothing again.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from idtool.batch.items import JobOptions
from idtool.batch.jobs import JobStore
from idtool.batch.pipeline import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_WORKERS,
    ENGINES,
    BatchRequest,
    job_config,
    open_executor,
    process_todo,
)
from idtool.batch.progress import NoProgress, ProgressReporter
from idtool.batch.walk import BatchItem, Discovery, Duplicate, FileFacts
from idtool.cites import load_listing_index
from idtool.config import Settings
from idtool.errors import BadField
from idtool.hashing import sha256_file
from idtool.listings.analysis import AnalysedMarketListing, analyse, stored_record
from idtool.listings.lexicon import SHIPPED_LEXICON, load_lexicon
from idtool.listings.readers import read_listings
from idtool.listings.records import ImageRef, MarketListing
from idtool.listings.report import MarketListingReport, write_listing_reports
from idtool.listings.signals import TextSignalFinder

log = logging.getLogger(__name__)

CAPTURE_DIR = "captured"
HASH_THREADS = 4


@dataclass(frozen=True)
class MarketListingsRequest:
    """One ``idtool listings`` invocation."""

    inputs: tuple[Path, ...]
    report_dir: Path
    options: JobOptions
    lexicon: Path = SHIPPED_LEXICON
    languages: frozenset[str] | None = None  # lexicon languages (None: all)
    engine: str = "local"
    runtime: str = "auto"
    workers: int = DEFAULT_WORKERS
    batch_size: int = DEFAULT_BATCH_SIZE
    ray_address: str | None = None
    ray_connect_timeout_s: float | None = None


@dataclass
class MarketListingsSummary:
    listings: int = 0
    unreadable: int = 0
    photos: int = 0  # unique photo files
    missing_photos: int = 0
    already_done: int = 0
    processed: int = 0
    elapsed_s: float = 0.0
    interrupted: bool = False
    engine: str = ""
    runtime: str = ""
    report: MarketListingReport | None = None
    levels: dict[str, int] = field(default_factory=dict)

    @property
    def listings_per_min(self) -> float:
        return 60.0 * self.listings / self.elapsed_s if self.elapsed_s > 0 else 0.0


def _hash_images(
    listings: list[MarketListing], cache: dict[str, FileFacts]
) -> dict[Path, FileFacts | str]:
    """Size, mtime and SHA-256 of every photo file (cached by path), or why it cannot be read."""
    paths = sorted({img.path for lst in listings for img in lst.images if img.path is not None})

    def facts(path: Path) -> FileFacts | str:
        try:
            stat = path.stat()
            known = cache.get(str(path))
            if known and known.byte_count == stat.st_size and known.mtime_ns == stat.st_mtime_ns:
                return known
            return FileFacts(stat.st_size, stat.st_mtime_ns, sha256_file(path))
        except OSError as exc:
            return f"cannot read ({exc.strerror or exc})"

    with ThreadPoolExecutor(HASH_THREADS) as pool:  # hashlib releases the GIL
        return dict(zip(paths, pool.map(facts, paths), strict=True))


def _discovery(listings: list[MarketListing], hashed: dict[Path, FileFacts | str]) -> Discovery:
    """The unique photos as batch items (``rel_path`` is the absolute path)."""
    found = Discovery(Path("/"))
    first: dict[str, str] = {}
    for path, fact in sorted(hashed.items()):
        if isinstance(fact, str):
            continue
        rel = str(path)
        if fact.sha256 in first:
            found.duplicates.append(
                Duplicate(rel, fact.sha256, first[fact.sha256], fact.byte_count, fact.mtime_ns)
            )
        else:
            first[fact.sha256] = rel
            found.items.append(BatchItem(path, rel, fact.sha256, fact.byte_count, fact.mtime_ns))
    return found


def _with_hashes(listing: MarketListing, hashed: dict[Path, FileFacts | str]) -> None:
    images = []
    for img in listing.images:
        fact = hashed.get(img.path) if img.path is not None else None
        if isinstance(fact, FileFacts):
            img = replace(img, sha256=fact.sha256, byte_count=fact.byte_count)
        elif isinstance(fact, str):
            img = ImageRef(img.ref, img.path, error=fact)
        images.append(img)
    listing.images = images


def run_listings(
    settings: Settings, request: MarketListingsRequest, progress: ProgressReporter | None = None
) -> MarketListingsSummary:
    """Triage every listing under ``request.inputs`` and write the report.

    Returns:
        The run's summary, with the report paths unless interrupted (Ctrl-C): run it
        again to continue.

    Raises:
        BadField: unknown engine, bad counts, or a bad lexicon file.
        NotFound: an input does not exist.
        Conflict: the report folder holds a job with other settings, or is in use.
        EmptyReference: the catalog has no reference embeddings for the model.
        ModelBundleError: the model bundle is missing or broken.
    """
    if request.engine not in ENGINES:
        raise BadField(f"unknown engine {request.engine!r}: use {' or '.join(ENGINES)}")
    if request.workers < 1 or request.batch_size < 1:
        raise BadField("--workers and --batch-size must be at least 1")
    if not request.inputs:
        raise BadField("give at least one input: an export, a saved page, a WARC or a folder")
    progress = progress or NoProgress()
    lexicon = load_lexicon(request.lexicon, set(request.languages) if request.languages else None)
    batch_request = BatchRequest(
        input_dir=request.inputs[0],
        report_dir=request.report_dir,
        options=request.options,
        engine=request.engine,
        runtime=request.runtime,
        workers=request.workers,
        batch_size=request.batch_size,
        ray_address=request.ray_address,
        ray_connect_timeout_s=request.ray_connect_timeout_s,
    )
    config, catalog = job_config(settings, batch_request)
    try:
        index = load_listing_index(catalog.db)
    finally:
        catalog.close()
    inputs_label = "listings: " + " ".join(sorted(str(p.resolve()) for p in request.inputs))
    config = replace(config, input_dir=inputs_label)
    summary = MarketListingsSummary(engine=request.engine)
    started = time.monotonic()
    with JobStore(request.report_dir) as store:
        store.check_config(config)
        cache = {k: v for k, v in store.hash_cache().items()}
        listings = list(
            read_listings(
                list(request.inputs),
                request.report_dir / CAPTURE_DIR,
                exclude=request.report_dir,
            )
        )
        hashed = _hash_images(listings, cache)
        for listing in listings:
            _with_hashes(listing, hashed)
        found = _discovery(listings, hashed)
        done = store.done_hashes()
        todo = [item for item in found.items if item.sha256 not in done]
        summary.listings = len(listings)
        summary.unreadable = sum(1 for lst in listings if lst.error)
        summary.photos = len(found.items)
        summary.missing_photos = sum(1 for lst in listings for i in lst.images if i.error)
        summary.already_done = summary.photos - len(todo)
        executor = open_executor(settings, batch_request) if todo else None
        summary.runtime = executor.runtime_name if executor else "-"
        store.start_run(
            engine=request.engine,
            runtime=summary.runtime,
            workers=request.workers,
            batch_size=executor.batch_size if executor else request.batch_size,
        )
        store.record_files(found)
        store.set_to_process(len(todo))
        log.info(
            "%d listings, %d photos already done, %d to identify",
            len(listings),
            summary.already_done,
            len(todo),
        )
        loop = process_todo(executor, todo, store, progress)
        summary.processed, summary.interrupted = loop.processed, loop.interrupted
        if summary.interrupted:
            summary.elapsed_s = time.monotonic() - started
            return summary
        store.finish_run("complete")
        finder = TextSignalFinder(lexicon, index)
        analysed: list[AnalysedMarketListing] = analyse(listings, store, finder)
        summary.report = write_listing_reports(
            analysed,
            request.report_dir,
            config,
            store.runs(),
            full_record=lambda sha256: stored_record(store, sha256),
        )
        for item in analysed:
            summary.levels[item.priority.level] = summary.levels.get(item.priority.level, 0) + 1
    summary.elapsed_s = time.monotonic() - started
    return summary
