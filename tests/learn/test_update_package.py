"""Signed update packages: what is refused (and changes nothing), apply, reload, rollback."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from idtool.catalog.store import Catalog
from idtool.config import Settings, load_settings
from idtool.errors import NotFound, UpdateRefused
from idtool.evidence.store import EvidenceStore
from idtool.learn.update_install import apply_update, read_installed, rollback_update
from idtool.learn.update_keys import generate_keys
from idtool.learn.update_package import MANIFEST, SIGNATURE, publish_package
from idtool.model.bundle import load_bundle
from idtool.model.discovery import resolve_bundle_dir


@pytest.fixture(scope="module")
def published(core_home: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two packages (versions 2.0 and 1.5) of a curator whose reference set changed."""
    root = tmp_path_factory.mktemp("curator")
    curator = root / "home"
    shutil.copytree(core_home, curator)
    settings = load_settings(home=curator)
    catalog = Catalog.open(settings.catalog_path)
    try:
        catalog.db.execute("update images set active = 0 where id = (select min(id) from images)")
        catalog.db.conn.commit()
        bundle = load_bundle(resolve_bundle_dir(settings))
        keys = generate_keys(root / "keys")
        other = generate_keys(root / "other-keys")
        out = {"key": keys.public_path, "other_key": other.public_path}
        for version in ("2.0", "1.5"):
            out[version] = root / f"update-{version}.pkg"
            publish_package(
                out[version],
                private_key=keys.private_path,
                bundle=bundle,
                catalog=catalog,
                version=version,
                release_notes={"evaluation": None},
            )
        out["reference_version"] = Path(catalog.reference_version())
    finally:
        catalog.close()
    return out


def snapshot(home: Path) -> dict[str, str]:
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.rglob("*"))
        if p.is_file()
    }


def rewrite(package: Path, target: Path, change) -> Path:  # type: ignore[no-untyped-def]
    """Copy a package member by member, letting ``change(name, data)`` alter or drop some."""
    with tarfile.open(package) as src, tarfile.open(target, "w") as dst:
        for member in src.getmembers():
            handle = src.extractfile(member)
            data = handle.read() if handle else b""
            result = change(member.name, data)
            if result is None:
                continue
            info = tarfile.TarInfo(member.name)
            info.size = len(result)
            dst.addfile(info, io.BytesIO(result))
    return target


def settings_of(home: Path) -> Settings:
    return load_settings(home=home)


def test_refused_packages_change_nothing(core_home_copy, published, tmp_path):
    settings = settings_of(core_home_copy)
    package = published["2.0"]
    before = snapshot(core_home_copy)
    raw = package.read_bytes()
    truncated = tmp_path / "truncated.pkg"
    truncated.write_bytes(raw[: len(raw) * 2 // 3])
    flipped = tmp_path / "flipped.pkg"
    data = bytearray(raw)
    data[-len(raw) // 3] ^= 0x01
    flipped.write_bytes(bytes(data))
    cases = {
        "truncated": truncated,
        "flipped byte": flipped,
        "unsigned": rewrite(
            package, tmp_path / "u.pkg", lambda n, d: None if n == SIGNATURE else d
        ),
        "weights swapped": rewrite(
            package,
            tmp_path / "w.pkg",
            lambda n, d: d[:-8] + b"\0" * 8 if n.endswith("weights.safetensors") else d,
        ),
        "extra file": rewrite(package, tmp_path / "x.pkg", lambda n, d: d),
        "manifest edited": rewrite(
            package,
            tmp_path / "m.pkg",
            lambda n, d: d.replace(b'"version":"2.0"', b'"version":"9.0"') if n == MANIFEST else d,
        ),
        "not a package": tmp_path / "text.pkg",
    }
    (tmp_path / "text.pkg").write_text("hello")
    with tarfile.open(cases["extra file"], "a") as tar:
        info = tarfile.TarInfo("payload/bundle/evil.py")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"boom"))
    for name, bad in cases.items():
        with pytest.raises(UpdateRefused) as refused:
            apply_update(settings, bad, published["key"])
        assert refused.value.message, name
        assert snapshot(core_home_copy) == before, name
    with pytest.raises(UpdateRefused, match="signature does not verify"):
        apply_update(settings, package, published["other_key"])
    assert snapshot(core_home_copy) == before
    assert read_installed(settings) is None

    # a bundle already installed under the name of the one the package carries
    impostor = settings.trained_models_dir / resolve_bundle_dir(load_settings()).name
    impostor.mkdir(parents=True)
    (impostor / "model.json").write_text("{}")
    before = snapshot(core_home_copy)
    with pytest.raises(UpdateRefused, match="is not the bundle this package carries"):
        apply_update(settings, package, published["key"])
    assert snapshot(core_home_copy) == before


def test_apply_reload_refuse_older_and_roll_back(core_home_copy, published):
    from server.app import create_app

    settings = settings_of(core_home_copy)
    app = create_app(settings, runtime="torch")
    client = app.test_client()
    try:
        first = client.get("/healthz").get_json()
        assert first["update_version"] is None

        update = apply_update(settings, published["2.0"], published["key"], actor="tester")
        assert update.version == "2.0"
        assert update.reference_version == str(published["reference_version"])
        reloaded = client.get("/healthz").get_json()  # the next request, no restart
        assert reloaded["update_version"] == "2.0"
        assert reloaded["reference_version"] == update.reference_version
        assert reloaded["reference_version"] != first["reference_version"]

        with pytest.raises(UpdateRefused, match="already installed"):
            apply_update(settings, published["2.0"], published["key"])
        with pytest.raises(UpdateRefused, match=r"older than the installed 2\.0"):
            apply_update(settings, published["1.5"], published["key"])

        store = EvidenceStore.open(settings.evidence_path)
        try:
            entries = [e for e in store.custody() if e.action.startswith("update_")]
        finally:
            store.close()
        assert [e.action for e in entries] == ["update_apply"]
        assert entries[0].details["version"] == "2.0"

        assert rollback_update(settings) is None
        back = client.get("/healthz").get_json()
        assert back["update_version"] is None
        assert back["reference_version"] == first["reference_version"]
        with pytest.raises(NotFound):
            rollback_update(settings)

        older = apply_update(settings, published["1.5"], published["key"], allow_older=True)
        assert older.version == "1.5"
        with tarfile.open(published["1.5"]) as tar:
            manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
        assert manifest["reference"]["reference_version"] == older.reference_version
    finally:
        app.extensions["idtool"].store.close()
