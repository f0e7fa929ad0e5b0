"""The Ray execution engine: the same batches as the local engine, on Ray actors.

Each actor loads the model, catalog and listings once (:class:`BatchActor`) and turns a
chunk of ``batch_size`` files into results with the same :func:`~idtool.batch.items.prepare`
and :func:`~idtool.batch.items.finish` as the local engine. The driver reads each file's
bytes just before its chunk is dispatched, so the input folder only has to exist where
``idtool batch`` runs; the model bundle and the catalog must be at the same paths on every
node (or set ``IDTOOL_MODEL`` / ``IDTOOL_CATALOG`` to shared paths). Results come back in
order and are committed by the driver, so resuming works as with the local engine.

Without ``--ray-address`` or ``$RAY_ADDRESS`` a private local Ray instance is started on
the loopback interface, without the dashboard, and stopped at the end.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from idtool.batch.items import ItemResult, JobOptions, Prepared, finish, prepare
from idtool.batch.walk import BatchItem
from idtool.config import Settings
from idtool.errors import BadField, IdtoolError
from idtool.model.preprocess import read_image_file

log = logging.getLogger(__name__)

Payload = list[tuple[BatchItem, bytes | None, IdtoolError | None]]


class BatchWorker:
    """What one Ray actor holds: an identifier and the listings, loaded once."""

    def __init__(self, settings: Settings, runtime: str, options: JobOptions) -> None:
        from idtool.cites import load_listing_index
        from idtool.decide.service import IdentificationService

        self._service = IdentificationService.open(settings, runtime)
        self._identifier = self._service.identifier()
        self._listings = load_listing_index(self._service.catalog.db)
        self._options = options

    def runtime_name(self) -> str:
        return self._service.engine.name

    def process(self, payload: Payload) -> list[ItemResult]:
        prepared = [
            Prepared(item, None, error, None)
            if error is not None
            else prepare(item, self._options, self._identifier.decode_config, data)
            for item, data, error in payload
        ]
        return finish(self._identifier, prepared, self._options, self._listings)


def _read_chunk(chunk: Sequence[BatchItem], max_bytes: int) -> Payload:
    payload: Payload = []
    for item in chunk:
        try:
            payload.append((item, read_image_file(item.path, max_bytes), None))
        except IdtoolError as exc:
            payload.append((item, None, exc))
    return payload


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise BadField(
            "--engine ray needs Ray: pip install 'idtool[ray]' (or use --engine local)"
        ) from None
    return ray


class RayExecutor:
    """Runs batches on ``request.workers`` Ray actors (one CPU and one model each)."""

    def __init__(self, settings: Settings, request: Any) -> None:
        ray = _import_ray()
        from ray.util import ActorPool

        self._ray = ray
        self._started_ray = False
        address = request.ray_address or os.environ.get("RAY_ADDRESS")
        if not ray.is_initialized():
            if address:
                log.info("joining the Ray cluster at %s", address)
                ray.init(address=address, log_to_driver=False)
            else:
                os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
                ray.init(
                    num_cpus=request.workers,
                    include_dashboard=False,
                    _node_ip_address="127.0.0.1",
                    log_to_driver=False,
                    configure_logging=False,
                )
            self._started_ray = True
        actor_settings = replace(settings, inference_threads=1)
        actor_class = ray.remote(num_cpus=1)(BatchWorker)
        self._actors = [
            actor_class.remote(actor_settings, request.runtime, request.options)
            for _ in range(request.workers)
        ]
        self._pool = ActorPool(self._actors)
        self.runtime_name = str(ray.get(self._actors[0].runtime_name.remote()))
        self._batch_size = request.batch_size
        self._max_bytes = request.options.max_bytes

    def process(self, items: Sequence[BatchItem]) -> Iterator[list[ItemResult]]:
        chunks = [items[i : i + self._batch_size] for i in range(0, len(items), self._batch_size)]
        # the chunk's bytes are read only when an actor is free to take it
        yield from self._pool.map(
            lambda actor, chunk: actor.process.remote(_read_chunk(chunk, self._max_bytes)),
            chunks,
        )

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors = []
        if self._started_ray:
            self._ray.shutdown()
