"""Batch identification of folders of photos: resumable, overlapped, with a report.

Entry point: :func:`idtool.batch.pipeline.run_batch`.

May import: the foundation modules, ``idtool.model``, ``idtool.catalog``, ``idtool.cites``,
``idtool.forensics`` and ``idtool.decide``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from idtool.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from idtool.batch.item_groups import ITEMS_BY, identify_items
    from idtool.batch.items import JobOptions
    from idtool.batch.jobs import JOB_DB, JobConfig, JobStore
    from idtool.batch.pipeline import (
        DEFAULT_BATCH_SIZE,
        DEFAULT_WORKERS,
        ENGINES,
        BatchRequest,
        BatchSummary,
        job_config,
        open_executor,
        process_todo,
        run_batch,
    )
    from idtool.batch.progress import NoProgress, ProgressReporter, progress_for_stderr
    from idtool.batch.report import csv_safe
    from idtool.batch.walk import BatchItem, Discovery, Duplicate, FileFacts

# the public names of this part, each imported from its module on first use
_EXPORTS: dict[str, str] = {
    "ITEMS_BY": "idtool.batch.item_groups",
    "identify_items": "idtool.batch.item_groups",
    "JobOptions": "idtool.batch.items",
    "JOB_DB": "idtool.batch.jobs",
    "JobConfig": "idtool.batch.jobs",
    "JobStore": "idtool.batch.jobs",
    "BatchRequest": "idtool.batch.pipeline",
    "BatchSummary": "idtool.batch.pipeline",
    "DEFAULT_BATCH_SIZE": "idtool.batch.pipeline",
    "DEFAULT_WORKERS": "idtool.batch.pipeline",
    "ENGINES": "idtool.batch.pipeline",
    "job_config": "idtool.batch.pipeline",
    "open_executor": "idtool.batch.pipeline",
    "process_todo": "idtool.batch.pipeline",
    "run_batch": "idtool.batch.pipeline",
    "NoProgress": "idtool.batch.progress",
    "ProgressReporter": "idtool.batch.progress",
    "progress_for_stderr": "idtool.batch.progress",
    "csv_safe": "idtool.batch.report",
    "BatchItem": "idtool.batch.walk",
    "Discovery": "idtool.batch.walk",
    "Duplicate": "idtool.batch.walk",
    "FileFacts": "idtool.batch.walk",
}
__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_WORKERS",
    "ENGINES",
    "ITEMS_BY",
    "JOB_DB",
    "BatchItem",
    "BatchRequest",
    "BatchSummary",
    "Discovery",
    "Duplicate",
    "FileFacts",
    "JobConfig",
    "JobOptions",
    "JobStore",
    "NoProgress",
    "ProgressReporter",
    "csv_safe",
    "identify_items",
    "job_config",
    "open_executor",
    "process_todo",
    "progress_for_stderr",
    "run_batch",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
