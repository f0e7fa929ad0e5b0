"""Run a batch job: discover, resume, identify (local or Ray engine), record, report.

The local engine overlaps decoding and inference: a thread pool decodes each file at
the size the model needs, makes its model input, measures its quality and thumbnails it,
ahead of the model (OpenCV, NumPy and hashlib release the GIL), while the calling thread
runs one batched embedding call per ``batch_size`` images. Batches are formed in path
order, so the local and Ray engines feed the model identical batches and give identical
results.

Threads are set for a small machine (measured on 2 cores, see docs/performance.md
section): ``workers`` decode threads, OpenCV's own thread pool off during the run (each
decode thread already keeps a core busy; OpenCV's pool on top of them only adds
contention), and the ONNX Runtime session with spinning off (see
:class:`idtool.model.runtime.OnnxEngine`). Decoding ahead is bounded in images *and* in bytes
(:data:`DECODE_AHEAD_BYTES`): a file being decoded counts its size on disk plus its
working image, a decoded one what it holds, so a folder of 12 MP photos cannot fill the
memory.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import cv2

from idtool.batch.items import ItemResult, JobOptions, Prepared, finish, prepare
from idtool.batch.jobs import JobConfig, JobStore
from idtool.batch.progress import NoProgress, ProgressReporter
from idtool.batch.report import ReportPaths, write_reports
from idtool.batch.walk import BatchItem, discover
from idtool.catalog.store import Catalog
from idtool.cites import ListingIndex, load_listing_index
from idtool.config import Settings
from idtool.decide.service import IdentificationService
from idtool.errors import BadField
from idtool.model.bundle import load_bundle
from idtool.model.discovery import resolve_bundle_dir
from idtool.model.preprocess import PreprocessConfig

log = logging.getLogger(__name__)

ENGINES = ("local", "ray")
DEFAULT_BATCH_SIZE = 8  # chosen from benchmarks/bench_batch.py --sweep (docs/performance.md)
DEFAULT_WORKERS = 2
DECODE_AHEAD_BYTES = 96 * 1024 * 1024


@dataclass(frozen=True)
class BatchRequest:
    """One ``idtool batch`` invocation."""

    input_dir: Path
    report_dir: Path
    options: JobOptions
    engine: str = "local"  # local | ray
    runtime: str = "auto"  # embedding runtime: auto | onnx | onnx-int8 | torch
    workers: int = DEFAULT_WORKERS
    batch_size: int = DEFAULT_BATCH_SIZE
    ray_address: str | None = None  # None: $RAY_ADDRESS, else a local Ray instance
    ray_connect_timeout_s: float | None = None  # None: ray_cluster.CONNECT_TIMEOUT_S (30 s)


@dataclass
class BatchSummary:
    """What a run did and where the report is."""

    files: int = 0
    images: int = 0
    duplicates: int = 0
    skipped: int = 0
    already_done: int = 0
    processed: int = 0
    succeeded: int = 0  # over the whole job, not only this run
    failed: int = 0
    elapsed_s: float = 0.0
    interrupted: bool = False
    engine: str = ""
    runtime: str = ""
    report: ReportPaths | None = None
    run_ids: list[int] = field(default_factory=list)

    @property
    def images_per_s(self) -> float:
        return self.processed / self.elapsed_s if self.elapsed_s > 0 else 0.0


class Executor(Protocol):
    """Turns items into results, batch by batch, in order."""

    runtime_name: str
    batch_size: int  # images per embedding call (larger on a GPU)

    def process(self, items: Sequence[BatchItem]) -> Iterator[list[ItemResult]]: ...

    def close(self) -> None: ...


def listing_set_label(listings: ListingIndex) -> str:
    """The listing layers in use, each once (``name@sha256``), for the job's configuration."""
    return ", ".join(dict.fromkeys(f"{s.name}@{s.sha256[:12]}" for s in listings.sets))


def estimated_bytes(item: BatchItem, fit: PreprocessConfig) -> int:
    """Memory a file holds while it is decoded: its bytes, its working image (RGB, short
    side ``fit.resize_px``, up to 4:3 assumed) and its float32 model input."""
    working = 3 * fit.working_short_px * (fit.working_short_px * 4 // 3)
    return item.byte_count + working + 4 * 3 * fit.input_size**2


def decode_ahead(
    items: Sequence[BatchItem],
    options: JobOptions,
    fit: PreprocessConfig,
    workers: int,
    batch_size: int,
    max_ahead_bytes: int = DECODE_AHEAD_BYTES,
) -> Iterator[list[Prepared]]:
    """Decode ``items`` in a thread pool, keeping about two batches decoded ahead.

    At most ``2 * batch_size + workers`` files are in flight or waiting, and at most
    ``max_ahead_bytes`` of them (estimated by :func:`estimated_bytes` while decoding,
    :attr:`Prepared.footprint_bytes` once decoded); one file is always let through,
    however large.

    Yields:
        Batches of prepared files, in item order.
    """
    ahead = 2 * batch_size + workers
    source = iter(items)
    pending: deque[tuple[Future[Prepared], int]] = deque()
    held = 0  # bytes of the pending files plus those of the batch being built
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="idtool-decode")
    try:
        next_item = next(source, None)

        def fill() -> None:
            nonlocal next_item, held
            while next_item is not None and len(pending) < ahead:
                cost = estimated_bytes(next_item, fit)
                if (pending or batch) and held + cost > max_ahead_bytes:
                    return
                pending.append((pool.submit(prepare, next_item, options, fit), cost))
                held += cost
                next_item = next(source, None)

        batch: list[Prepared] = []
        batch_bytes = 0
        fill()
        while pending:
            future, cost = pending.popleft()
            prepared = future.result()
            footprint = prepared.footprint_bytes
            held += footprint - cost
            batch.append(prepared)
            batch_bytes += footprint
            if len(batch) >= batch_size or (not pending and next_item is None):
                yield batch
                held -= batch_bytes
                batch, batch_bytes = [], 0
            fill()
            if not pending and batch:  # the byte budget is held by the batch being built
                yield batch
                held -= batch_bytes
                batch, batch_bytes = [], 0
                fill()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class LocalExecutor:
    """Decode threads plus batched inference in this process."""

    def __init__(
        self, service: IdentificationService, options: JobOptions, workers: int, batch_size: int
    ):
        self._opencv_threads = cv2.getNumThreads()
        cv2.setNumThreads(1)  # restored by close(); see the module docstring
        self._identifier = service.identifier()
        self._fit = self._identifier.decode_config
        self._listings = load_listing_index(service.catalog.db)
        self._options = options
        self._workers = workers
        # a GPU engine is fed larger batches (idtool.model.runtime.GPU_BATCH_SIZE)
        self.batch_size = max(batch_size, getattr(service.engine, "batch_size", 0))
        self.runtime_name = service.engine.name

    def process(self, items: Sequence[BatchItem]) -> Iterator[list[ItemResult]]:
        for batch in decode_ahead(items, self._options, self._fit, self._workers, self.batch_size):
            yield finish(self._identifier, batch, self._options, self._listings)

    def close(self) -> None:
        cv2.setNumThreads(self._opencv_threads)


def job_config(settings: Settings, request: BatchRequest) -> tuple[JobConfig, Catalog]:
    """The job's configuration from the bundle, catalog and listings (no model loaded)."""
    bundle = load_bundle(resolve_bundle_dir(settings))
    catalog = Catalog.open(settings.catalog_path)
    try:
        reference = catalog.load_embeddings(bundle.embedding_version)
        listings = load_listing_index(catalog.db)
    except BaseException:
        catalog.close()
        raise
    config = JobConfig(
        input_dir=str(request.input_dir.resolve()),
        model_version=bundle.version,
        embedding_version=bundle.embedding_version,
        reference_version=reference.reference_version,
        listing_set=listing_set_label(listings),
        declaration=request.options.declaration.to_dict(),
        top_k=request.options.top_k,
    )
    return config, catalog


def open_executor(settings: Settings, request: BatchRequest) -> Executor:
    """The local or Ray executor of ``request`` (loads the model)."""
    if request.engine == "local":
        service = IdentificationService.open(settings, request.runtime)
        return LocalExecutor(service, request.options, request.workers, request.batch_size)
    from idtool.batch.ray_engine import RayExecutor

    return RayExecutor(settings, request)


@dataclass
class JobLoop:
    """What one pass over the files to identify did (see :func:`process_todo`)."""

    processed: int = 0
    interrupted: bool = False
    elapsed_s: float = 0.0


def process_todo(
    executor: Executor | None,
    todo: Sequence[BatchItem],
    store: JobStore,
    progress: ProgressReporter,
) -> JobLoop:
    """Identify ``todo`` with ``executor``, committing each batch of results to the job
    table as it comes (so a killed run resumes where it stopped); Ctrl-C marks the run
    interrupted, and so does any error that stops the loop (it is then raised). The
    executor is closed either way. Shared by batch and listings."""
    loop = JobLoop()
    started = time.monotonic()
    progress.start(len(todo))
    try:
        if executor is not None:
            for results in executor.process(todo):
                loop.processed += store.record_results(results)
                progress.advance(len(results))
                log.info("committed %d results (%d/%d)", len(results), loop.processed, len(todo))
    except KeyboardInterrupt:
        loop.interrupted = True
        store.finish_run("interrupted")
    except BaseException:
        # a lost cluster, a full disk...: the results so far are committed; resume later
        store.finish_run("interrupted")
        raise
    finally:
        loop.elapsed_s = time.monotonic() - started
        progress.close()
        if executor is not None:
            executor.close()
    return loop


def run_batch(
    settings: Settings, request: BatchRequest, progress: ProgressReporter | None = None
) -> BatchSummary:
    """Identify every new image under ``request.input_dir`` and write the report.

    Results are committed batch by batch; an interrupted job (Ctrl-C) returns a summary
    with ``interrupted`` set and no report; run it again to continue.

    Args:
        settings: resolved settings (model, catalog, image limits).
        request: folders, engine and options.
        progress: where to report progress (default: nowhere).

    Returns:
        The run's summary, with the report paths unless interrupted.

    Raises:
        BadField: unknown engine, or a bad worker or batch count.
        NotFound: the input folder does not exist.
        Conflict: the report folder holds a job with other settings, or is in use.
        EmptyReference: the catalog has no reference embeddings for the model.
        ModelBundleError: the model bundle is missing or broken.
    """
    if request.engine not in ENGINES:
        raise BadField(f"unknown engine {request.engine!r}: use {' or '.join(ENGINES)}")
    if request.workers < 1 or request.batch_size < 1:
        raise BadField("--workers and --batch-size must be at least 1")
    progress = progress or NoProgress()
    config, catalog = job_config(settings, request)
    catalog.close()
    summary = BatchSummary(engine=request.engine)
    with JobStore(request.report_dir) as store:
        store.check_config(config)
        found = discover(request.input_dir, exclude=request.report_dir, cache=store.hash_cache())
        done = store.done_hashes()
        todo = [item for item in found.items if item.sha256 not in done]
        summary.files, summary.images = found.file_count, len(found.items)
        summary.duplicates, summary.skipped = len(found.duplicates), len(found.skipped)
        summary.already_done = summary.images - len(todo)
        executor = open_executor(settings, request) if todo else None
        summary.runtime = executor.runtime_name if executor else "-"
        run_id = store.start_run(
            engine=request.engine,
            runtime=summary.runtime,
            workers=request.workers,
            batch_size=executor.batch_size if executor else request.batch_size,
        )
        store.record_files(found)
        store.set_to_process(len(todo))
        log.info("%d images already done, %d to identify", summary.already_done, len(todo))
        loop = process_todo(executor, todo, store, progress)
        summary.processed, summary.interrupted = loop.processed, loop.interrupted
        summary.elapsed_s = loop.elapsed_s
        summary.run_ids = [r["id"] for r in store.runs()]
        if summary.interrupted:
            return summary
        store.finish_run("complete")
        summary.report = write_reports(store, request.report_dir, config)
        summary.succeeded = summary.report.succeeded
        summary.failed = summary.report.failed
    log.info("run %d done: %d processed in %.1f s", run_id, summary.processed, summary.elapsed_s)
    return summary
