"""The Ray engine on a real multi-node cluster (Ray's own ``cluster_utils.Cluster``, on
loopback): a node lost mid-run loses and doubles no photo, a cluster left without workers
stops in one line and resumes, and a wrong address fails within the deadline."""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from idtool.batch import ray_cluster
from idtool.batch.items import JobOptions
from idtool.batch.jobs import JobStore
from idtool.batch.pipeline import BatchRequest, run_batch
from idtool.batch.ray_cluster import classify_join_error, join_cluster, split_address
from idtool.catalog.reference_import import import_reference_dir
from idtool.cites.guidance import TradeDeclaration
from idtool.cli import main
from idtool.config import SHIPPED_REFERENCE_DIR, Settings, load_settings
from idtool.decide.service import IdentificationService
from idtool.errors import (
    BadField,
    ClusterAuthRequired,
    ClusterError,
    ClusterLost,
    ClusterUnreachable,
    ClusterVersionMismatch,
)
from idtool.model.bundle import build_base_bundle

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'idtool[ray]'")
from ray.cluster_utils import Cluster  # noqa: E402

CLASSES = ("Scleractinia", "material_ceramic", "material_ivory")
pytestmark = [  # Ray's own start-up and shutdown emit these; they say nothing about idtool
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning:ray.*"),
    pytest.mark.filterwarnings("ignore::UserWarning:ray.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
needs_photos = pytest.mark.skipif(
    not all((SHIPPED_REFERENCE_DIR / c).is_dir() for c in CLASSES),
    reason="shipped reference_images/ photos are absent",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- joining: addresses and causes -------------------------------------------------------


def test_split_address_accepts_gcs_client_and_auto_and_refuses_the_rest() -> None:
    assert split_address("10.0.0.5:6379") == ("", "10.0.0.5", 6379)
    assert split_address("ray://head:10001") == ("ray", "head", 10001)
    assert split_address("auto") == ("", "auto", None)
    for bad in ("head", "head:", "head:99999", "http://head:80", ":6379"):
        with pytest.raises(BadField):
            split_address(bad)


def test_join_errors_name_the_cause_and_the_fix() -> None:
    auth = classify_join_error(
        "10.0.0.5:6379", ray.exceptions.AuthenticationError("Authentication token is missing")
    )
    assert isinstance(auth, ClusterAuthRequired) and "RAY_AUTH_MODE=token" in auth.message
    version = classify_join_error(
        "10.0.0.5:6379", RuntimeError("Version mismatch: the cluster was started with Ray 2.9.0")
    )
    assert isinstance(version, ClusterVersionMismatch) and "2.9.0" in version.message
    other = classify_join_error("10.0.0.5:6379", ConnectionError("GCS unavailable\nlong trace"))
    assert isinstance(other, ClusterUnreachable)
    assert "\n" not in other.message and "10.0.0.5:6379" in other.message


def test_unreachable_address_fails_within_the_deadline() -> None:
    address = f"127.0.0.1:{_free_port()}"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(ClusterUnreachable) as caught:
        join_cluster(address, workers=2, timeout_s=2.0)
    assert time.monotonic() - started < 10
    assert address in caught.value.message and "ray start --head" in caught.value.message
    assert not ray.is_initialized()


def test_cli_prints_one_line_for_an_unreachable_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ray_cluster, "CONNECT_TIMEOUT_S", 1.5)
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(sorted((SHIPPED_REFERENCE_DIR / "material_ceramic").glob("*.jpg"))[0], photos)
    monkeypatch.setenv("IDTOOL_HOME", str(tmp_path / "home"))
    home_runtime = IdentificationService.open(load_settings(home=tmp_path / "home"), "torch")
    try:
        import_reference_dir(
            home_runtime.catalog, home_runtime.embedder(), _small_reference(tmp_path)
        )
    finally:
        home_runtime.close()
    address = f"127.0.0.1:{_free_port()}"
    result = CliRunner().invoke(
        main,
        ["batch", str(photos), "--out", str(tmp_path / "out"), "--engine", "ray",
         "--ray-address", address],
    )  # fmt: skip
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("error")]
    assert len(lines) == 1 and lines[0].startswith("error [ray_unreachable]:")
    assert "Traceback" not in result.output


def _small_reference(root: Path, per_class: int = 3) -> Path:
    ref = root / "ref"
    for cls in CLASSES:
        (ref / cls).mkdir(parents=True)
        for photo in sorted((SHIPPED_REFERENCE_DIR / cls).glob("*.jpg"))[:per_class]:
            shutil.copy(photo, ref / cls / photo.name)
    for table in ("TAXONOMY.csv", "MATERIALS.csv"):
        if (SHIPPED_REFERENCE_DIR / table).is_file():
            shutil.copy(SHIPPED_REFERENCE_DIR / table, ref / table)
    return ref


# --- a real two-node cluster ------------------------------------------------------------


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("ray_faults_env")
    bundle = build_base_bundle(root / "bundle")
    settings = load_settings(home=root / "home", model_dir=bundle, catalog_path=root / "cat.db")
    runtime = IdentificationService.open(settings, "torch")
    try:
        import_reference_dir(runtime.catalog, runtime.embedder(), _small_reference(root, 4))
    finally:
        runtime.close()
    return settings


def _photo_folder(root: Path) -> Path:
    photos = root / "photos"
    for cls in CLASSES:
        (photos / cls).mkdir(parents=True)
        for photo in sorted((SHIPPED_REFERENCE_DIR / cls).glob("*.jpg"))[4:12]:
            shutil.copy(photo, photos / cls / photo.name)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    return photos


def _request(photos: Path, out: Path, engine: str, address: str | None = None) -> BatchRequest:
    options = JobOptions(
        declaration=TradeDeclaration.from_values(origin_country="KE", purpose="T"),
        top_k=3,
        max_bytes=40_000_000,
        max_pixels=60_000_000,
    )
    return BatchRequest(
        photos, out, options, engine=engine, runtime="torch", workers=2, batch_size=2,
        ray_address=address, ray_connect_timeout_s=60,
    )  # fmt: skip


class _RemoveNodeOnFirstResult:
    """A progress reporter that removes a cluster node when the run starts (the workers
    are up, the first chunks about to go out) or when the first results arrive."""

    def __init__(self, cluster: Any, node: Any, at_start: bool = False) -> None:
        self._cluster, self._node, self.removed = cluster, node, False
        self._at_start = at_start

    def _remove(self) -> None:
        if not self.removed:
            self._cluster.remove_node(self._node, allow_graceful=False)
            self.removed = True

    def start(self, total: int) -> None:
        if self._at_start:
            self._remove()

    def advance(self, count: int) -> None:
        self._remove()

    def close(self) -> None:
        return None


def _results(out: Path) -> list[dict[str, Any]]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _same(local: list[dict[str, Any]], other: list[dict[str, Any]]) -> None:
    assert [r["image"] for r in local] == [r["image"] for r in other]
    assert len({r["sha256"] for r in other}) == len(other)
    for a, b in zip(local, other, strict=True):
        for key in ("sha256", "decision", "label", "cites_appendix", "error"):
            assert a[key] == b[key], (a["image"], key)
        if a["confidence"] is not None:
            assert a["confidence"] == pytest.approx(b["confidence"], abs=1e-3)


def _cluster(head_cpus: int) -> Any:
    return Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": head_cpus,
            "node_ip_address": "127.0.0.1",
            "include_dashboard": False,
        },
    )


@pytest.fixture
def cluster() -> Any:
    made = _cluster(head_cpus=1)
    yield made
    if ray.is_initialized():
        ray.shutdown()
    made.shutdown()


@pytest.fixture
def cpu_less_head() -> Any:
    """A cluster whose head runs no workers (num_cpus=0), as on a driver-only head."""
    made = _cluster(head_cpus=0)
    yield made
    if ray.is_initialized():
        ray.shutdown()
    made.shutdown()


@pytest.mark.slow
@needs_photos
def test_losing_a_node_mid_run_loses_and_doubles_nothing(
    env: Settings, tmp_path: Path, cluster: Any, caplog: pytest.LogCaptureFixture
) -> None:
    photos = _photo_folder(tmp_path)
    local = run_batch(env, _request(photos, tmp_path / "local", "local"))
    worker_node = cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
    cluster.wait_for_nodes()
    # the node goes as the first chunks are sent: the one sent to its worker is lost
    remover = _RemoveNodeOnFirstResult(cluster, worker_node, at_start=True)
    summary = run_batch(env, _request(photos, tmp_path / "ray", "ray", cluster.address), remover)
    assert remover.removed
    assert any("a Ray worker was lost" in r.getMessage() for r in caplog.records)
    assert summary.processed == local.processed == 25 and not summary.interrupted
    _same(_results(tmp_path / "local"), _results(tmp_path / "ray"))
    with JobStore(tmp_path / "ray") as store:
        assert [r["status"] for r in store.runs()] == ["complete"]


@pytest.mark.slow
@needs_photos
def test_a_cluster_left_without_workers_stops_in_one_error_and_resumes(
    env: Settings, tmp_path: Path, cpu_less_head: Any
) -> None:
    photos = _photo_folder(tmp_path)
    out = tmp_path / "ray"
    worker_node = cpu_less_head.add_node(num_cpus=1, node_ip_address="127.0.0.1")
    cpu_less_head.wait_for_nodes()
    remover = _RemoveNodeOnFirstResult(cpu_less_head, worker_node)
    with pytest.raises(ClusterLost):
        run_batch(env, _request(photos, out, "ray", cpu_less_head.address), remover)
    with JobStore(out) as store:
        runs = store.runs()
        done_first = runs[0]["processed"]
        assert [r["status"] for r in runs] == ["interrupted"] and 0 < done_first < 25
    cpu_less_head.add_node(num_cpus=1, node_ip_address="127.0.0.1")  # a node comes back
    cpu_less_head.wait_for_nodes()
    second = run_batch(env, _request(photos, out, "ray", cpu_less_head.address))
    assert second.processed == 25 - done_first and not second.interrupted
    local = run_batch(env, _request(photos, tmp_path / "local", "local"))
    assert local.processed == 25
    _same(_results(tmp_path / "local"), _results(out))


def test_a_run_killed_earlier_is_marked_interrupted_at_the_next_open(tmp_path: Path) -> None:
    with JobStore(tmp_path) as store:
        store.start_run(engine="ray", runtime="onnx", workers=2, batch_size=8)
        # the process dies here: the run never finishes
    with JobStore(tmp_path) as store:
        assert [r["status"] for r in store.runs()] == ["interrupted"]


@pytest.mark.slow
def test_a_cluster_with_no_free_cpu_fails_at_once_instead_of_waiting(cpu_less_head: Any) -> None:
    started = time.monotonic()
    with pytest.raises(ClusterError) as caught:
        join_cluster(cpu_less_head.address, workers=2, timeout_s=30)
    assert "no free CPU" in caught.value.message
    assert time.monotonic() - started < 60
    assert not ray.is_initialized()
