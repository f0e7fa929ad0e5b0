"""The Ray execution engine: the same batches as the local engine, on Ray actors.

Each actor loads the model, catalog and listings once (:class:`BatchWorker`) and turns a
chunk of ``batch_size`` files into results with the same :func:`~idtool.batch.items.prepare`
and :func:`~idtool.batch.items.finish` as the local engine. The driver reads each file's
bytes just before its chunk is dispatched, so the input folder only has to exist where
``idtool batch`` runs; the model bundle and the catalog must be at the same paths on every
node (or set ``IDTOOL_MODEL`` / ``IDTOOL_CATALOG`` to shared paths). Results are committed
by the driver as they come, so resuming works as with the local engine.

Faults, which are the reason to run on a cluster (:mod:`idtool.batch.ray_cluster` joins it):

- a worker or node that dies mid-chunk loses no photo: its chunk goes back to the queue
  and to the next free worker, and a replacement worker is started where the cluster has
  a free CPU; the driver records each photo once (the job table keys results by SHA-256);
- when no worker is left and none can be started, the batch stops with
  :class:`~idtool.errors.ClusterLost` (one line; the run is marked ``interrupted`` and the
  next run resumes);
- the number of workers is capped by the cluster's free CPUs, so a smaller cluster is
  slower, never stuck waiting for CPUs it does not have.

Without ``--ray-address`` or ``$RAY_ADDRESS`` a private local Ray instance is started on
the loopback interface, without the dashboard, and stopped at the end.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from idtool.batch.items import ItemResult, JobOptions, Prepared, finish, prepare
from idtool.batch.ray_cluster import ClusterSession, join_cluster, lost_worker_errors
from idtool.batch.walk import BatchItem
from idtool.config import Settings
from idtool.errors import ClusterError, ClusterLost, IdtoolError
from idtool.model.preprocess import read_image_file

log = logging.getLogger(__name__)

Payload = list[tuple[BatchItem, bytes | None, IdtoolError | None]]
WORKER_START_TIMEOUT_S = 600.0  # loading the model on a busy node; placement is checked first
WAIT_SLICE_S = 5.0  # how long the driver waits for a result before looking again


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


def read_chunk(chunk: Sequence[BatchItem], max_bytes: int) -> Payload:
    """The bytes of each file of ``chunk`` (or the error reading it), read on the driver."""
    payload: Payload = []
    for item in chunk:
        try:
            payload.append((item, read_image_file(item.path, max_bytes), None))
        except IdtoolError as exc:
            payload.append((item, None, exc))
    return payload


@dataclass
class _InFlight:
    actor: Any
    chunk: Sequence[BatchItem]


class RayExecutor:
    """Runs batches on up to ``request.workers`` Ray actors (one CPU and one model each)."""

    def __init__(self, settings: Settings, request: Any) -> None:
        self._session: ClusterSession = join_cluster(
            request.ray_address, request.workers, request.ray_connect_timeout_s
        )
        ray = self._ray = self._session.ray
        self._lost_errors = lost_worker_errors(ray)
        self._wanted = self._session.workers
        self._batch_size = self.batch_size = request.batch_size
        self._max_bytes = request.options.max_bytes
        actor_settings = replace(settings, inference_threads=1)
        self._actor_class = ray.remote(num_cpus=1)(BatchWorker)
        self._actor_args = (actor_settings, request.runtime, request.options)
        self._actors: list[Any] = []
        self.lost_workers = 0
        try:
            starting = [self._start_actor() for _ in range(self._wanted)]
            names = ray.get(
                [actor.runtime_name.remote() for actor in starting],
                timeout=WORKER_START_TIMEOUT_S,
            )
        except ray.exceptions.GetTimeoutError:
            self.close()
            raise ClusterError(
                f"the Ray workers did not start within {WORKER_START_TIMEOUT_S:.0f} s: "
                "check that every node can read the model bundle and the catalog "
                "(IDTOOL_MODEL / IDTOOL_CATALOG)"
            ) from None
        except self._lost_errors as exc:
            self.close()
            raise ClusterError(f"a Ray worker failed to start: {_cause(exc)}") from None
        except BaseException:
            self.close()
            raise
        self._actors = starting
        self.runtime_name = str(names[0])

    def _start_actor(self) -> Any:
        return self._actor_class.remote(*self._actor_args)

    def _replace_lost(self) -> dict[Any, Any]:
        """Start workers for the lost ones where the cluster has a free CPU (never asks for
        CPUs that are not there). Returns their readiness probes (object ref -> actor)."""
        free = int(self._ray.available_resources().get("CPU", 0))
        count = max(0, min(self._wanted - len(self._actors), free))
        probes = {}
        for _ in range(count):
            actor = self._start_actor()
            self._actors.append(actor)
            probes[actor.runtime_name.remote()] = actor
        if probes:
            log.warning("starting %d replacement Ray worker(s)", len(probes))
        return probes

    def _drop(self, actor: Any, exc: BaseException, chunk: Sequence[BatchItem]) -> None:
        self.lost_workers += 1
        log.warning(
            "a Ray worker was lost (%s); its %d photo(s) go to another worker",
            _cause(exc),
            len(chunk),
        )
        if actor in self._actors:
            self._actors.remove(actor)
        try:
            self._ray.kill(actor)
        except Exception as kill_exc:  # the actor's node is gone; nothing left to stop
            log.debug("killing a lost actor: %s", kill_exc)

    def process(self, items: Sequence[BatchItem]) -> Iterator[list[ItemResult]]:
        ray = self._ray
        queue: deque[Sequence[BatchItem]] = deque(
            items[i : i + self._batch_size] for i in range(0, len(items), self._batch_size)
        )
        idle: deque[Any] = deque(self._actors)
        in_flight: dict[Any, _InFlight] = {}
        starting: dict[Any, Any] = {}  # readiness probe -> replacement actor
        waited_for_replacements_s = 0.0
        while queue or in_flight:
            while queue and idle:
                actor = idle.popleft()
                chunk = queue.popleft()
                # the chunk's bytes are read only when a worker is free to take it
                ref = actor.process.remote(read_chunk(chunk, self._max_bytes))
                in_flight[ref] = _InFlight(actor, chunk)
            if not in_flight and (
                not starting or waited_for_replacements_s > WORKER_START_TIMEOUT_S
            ):
                raise ClusterLost(
                    "every Ray worker was lost and the cluster has no free CPU for a new one: "
                    "the results so far are saved; run the same command again to resume once "
                    "the cluster has a node back"
                )
            ready, _ = ray.wait([*in_flight, *starting], num_returns=1, timeout=WAIT_SLICE_S)
            if not ready:
                if not in_flight:
                    waited_for_replacements_s += WAIT_SLICE_S
                continue
            ref = ready[0]
            if ref in starting:
                actor = starting.pop(ref)
                try:
                    ray.get(ref)
                except self._lost_errors as exc:
                    self._drop(actor, exc, ())
                    continue
                idle.append(actor)
                continue
            job = in_flight.pop(ref)
            try:
                results = ray.get(ref)
            except self._lost_errors as exc:
                self._drop(job.actor, exc, job.chunk)
                queue.appendleft(job.chunk)
                idle = deque(a for a in idle if a in self._actors)
                starting.update(self._replace_lost())
                continue
            except ray.exceptions.RayTaskError as exc:
                cause = exc.cause if isinstance(exc.cause, BaseException) else exc
                if isinstance(cause, IdtoolError):
                    raise cause from None
                raise
            idle.append(job.actor)
            yield results

    def close(self) -> None:
        for actor in self._actors:
            try:
                self._ray.kill(actor)
            except Exception as exc:  # its node may be gone
                log.debug("killing an actor at close: %s", exc)
        self._actors = []
        self._session.close()


def _cause(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first[:200]}" if first else type(exc).__name__
