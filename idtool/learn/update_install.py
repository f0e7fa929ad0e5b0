"""Installing a signed update on a post, atomically, with one step of rollback.

``apply_update`` checks everything first: the signature (:func:`read_manifest`), the
version against the installed one, then every payload file's SHA-256 while extracting to a
staging folder, then the bundle itself (:func:`idtool.model.bundle.load_bundle`). Only then
does it change anything:

1. a copy of the catalog is kept in ``$IDTOOL_HOME/updates/rollback/`` (with the state
   before), for ``idtool update rollback``;
2. the bundle is renamed into ``$IDTOOL_HOME/models/<name>-<version>`` (the newest trained
   bundle is the one in use);
3. the catalog's reference set (and listing sets) change in one SQLite transaction;
4. ``$IDTOOL_HOME/updates/installed.json`` is replaced (temporary file + rename): the field
   server compares its modification time on each request and reloads when it changes;
5. one ``update_apply`` custody entry records the package's version, SHA-256 and key.

If step 2 or 3 fails, what was done is undone and the error is raised.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from idtool.atomic import write_atomic
from idtool.catalog.store import Catalog, current_user, now_iso
from idtool.catalog.taxonomy import TaxonRecord
from idtool.config import Settings
from idtool.errors import IdtoolError, NotFound, UpdateRefused
from idtool.evidence.custody import canonical_json
from idtool.evidence.originals import fsync_dir
from idtool.evidence.store import EvidenceStore
from idtool.learn.update_keys import load_public_key
from idtool.learn.update_package import (
    LISTING_TABLES,
    Manifest,
    extract_verified,
    read_manifest,
    version_key,
)
from idtool.model.bundle import load_bundle

log = logging.getLogger(__name__)

UPDATES_DIR = "updates"
INSTALLED_FILE = "installed.json"
ROLLBACK_DIR = "rollback"
RETIRED_DIR = "retired"
UPDATE_PATH_PREFIX = "update://"


@dataclass(frozen=True)
class InstalledUpdate:
    """What ``installed.json`` says is in use."""

    version: str
    package_sha256: str
    key_id: str
    bundle_dir: str | None  # the bundle this update installed (None: it was already there)
    reference_version: str
    listing_sets: list[str]
    installed_at: str
    release_notes: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "package_sha256": self.package_sha256,
            "key_id": self.key_id,
            "bundle_dir": self.bundle_dir,
            "reference_version": self.reference_version,
            "listing_sets": self.listing_sets,
            "installed_at": self.installed_at,
            "release_notes": self.release_notes,
        }


def updates_dir(settings: Settings) -> Path:
    return settings.home / UPDATES_DIR


def installed_path(settings: Settings) -> Path:
    return updates_dir(settings) / INSTALLED_FILE


def installed_stamp(settings: Settings) -> int | None:
    """The version file's modification time (ns), None without one: a cheap change check."""
    try:
        return os.stat(installed_path(settings)).st_mtime_ns
    except OSError:
        return None


def read_installed(settings: Settings) -> InstalledUpdate | None:
    """The installed update, or None (the post runs what it was set up with)."""
    path = installed_path(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UpdateRefused(f"{path} is unreadable ({exc}): run `idtool update rollback`") from None
    return InstalledUpdate(**data)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _backup_catalog(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(temp)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.replace(temp, target)


def _restore_catalog(backup: Path, catalog_path: Path) -> None:
    src = sqlite3.connect(backup)
    dst = sqlite3.connect(catalog_path)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _apply_reference(catalog: Catalog, staged: Path, manifest: Manifest) -> None:
    """Make the package's reference set the active one (call inside a transaction)."""
    meta = json.loads((staged / "reference.json").read_text(encoding="utf-8"))
    vectors = np.load(staged / "embeddings.npy", allow_pickle=False)
    images = meta["images"]
    if vectors.shape[0] != len(images):
        raise UpdateRefused("the package's embeddings do not match its image list")
    embedding_version = meta["embedding_version"]
    db = catalog.db
    for row in meta["taxa"]:
        catalog.upsert_taxon(TaxonRecord.from_row(row))
    wanted: set[int] = set()
    for image, vector in zip(images, vectors, strict=True):
        found = list(
            db.query(
                "select id from images where label = ? and sha256 = ? order by active desc, id",
                [image["label"], image["sha256"]],
            )
        )
        if found:
            image_id = int(found[0]["id"])
            db.execute("update images set active = 1 where id = ?", [image_id])
        else:
            path = f"{UPDATE_PATH_PREFIX}{manifest.version}/{image['label']}/{image['sha256']}"
            table = db.table("images")
            table.insert(
                {
                    **image,
                    "path": path,
                    "added_at": now_iso(),
                    "added_by": "update " + manifest.version,
                    "active": 1,
                }
            )
            image_id = int(table.last_pk)  # type: ignore[arg-type]
        wanted.add(image_id)
        if not catalog.has_embedding(image_id, embedding_version, image["sha256"]):
            catalog.store_embedding(image_id, embedding_version, image["sha256"], vector)
    active = [int(r["id"]) for r in db.query("select id from images where active = 1")]
    for image_id in set(active) - wanted:
        db.execute("update images set active = 0 where id = ?", [image_id])
    got = catalog.reference_version()
    if got != meta["reference_version"]:
        raise UpdateRefused(
            f"the reference set installed as {got}, not {meta['reference_version']} as signed"
        )
    catalog.record_history(
        "update", None, {"version": manifest.version, "reference_version": got}, "idtool update"
    )


def _apply_listings(catalog: Catalog, staged: Path) -> list[str]:
    """Add the package's listing sets the post does not have yet (sets are additive)."""
    path = staged / "listings.json"
    if not path.is_file():
        return []
    from idtool.cites.store import migrate

    payload = json.loads(path.read_text(encoding="utf-8"))
    db = catalog.db
    migrate(db)
    names = []
    for item in payload["sets"]:
        info = item["set"]
        names.append(f"{info['name']}@{str(info['sha256'])[:12]}")
        exists = db.table("listing_sets").count_where(
            "kind = ? and sha256 = ?", [info["kind"], info["sha256"]]
        )
        if exists:
            continue
        table = db.table("listing_sets")
        table.insert(info)
        set_id = table.last_pk
        for name in LISTING_TABLES:
            rows = item["rows"].get(name) or []
            if rows:
                db.table(name).insert_all([{**r, "set_id": set_id} for r in rows])
    return names


def apply_update(
    settings: Settings,
    package: Path,
    trusted_key: Path,
    *,
    allow_older: bool = False,
    actor: str | None = None,
) -> InstalledUpdate:
    """Verify ``package`` completely, then install it (see the module docstring).

    Raises:
        UpdateRefused: bad signature, hash or format; older or same version (without
            ``allow_older``); nothing was changed.
        NotFound: no package or key file.
    """
    if not package.is_file():
        raise NotFound(f"update package {package} does not exist")
    manifest = read_manifest(package, load_public_key(trusted_key))
    current = read_installed(settings)
    if current is not None:
        if manifest.version == current.version:
            raise UpdateRefused(f"update {manifest.version} is already installed")
        if version_key(manifest.version) < version_key(current.version) and not allow_older:
            raise UpdateRefused(
                f"update {manifest.version} is older than the installed {current.version}: "
                "pass --allow-older to install it anyway"
            )
    root = updates_dir(settings)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".staging-{uuid.uuid4().hex[:8]}"
    extract_verified(package, manifest, staging)
    installed_bundle: Path | None = None
    pending = root / f".rollback-{uuid.uuid4().hex[:8]}"
    try:
        bundle = load_bundle(staging / "bundle")  # checks model.json and the weights' SHA-256
        package_sha256 = _sha256_file(package)
        target = settings.trained_models_dir / bundle.version  # name-version
        staged_meta = (staging / "bundle" / "model.json").read_bytes()
        if target.exists() and (
            not (target / "model.json").is_file()
            or (target / "model.json").read_bytes() != staged_meta
        ):
            raise UpdateRefused(
                f"{target} exists and is not the bundle this package carries: move it away "
                "(a bundle's name and version must name one content)"
            )
        # the new rollback point replaces the old one only once the update is in
        pending.mkdir()
        if settings.catalog_path.is_file():
            _backup_catalog(settings.catalog_path, pending / "catalog.db")
        write_atomic(
            pending / "state.json",
            json.dumps({"installed": current.to_dict() if current else None}).encode(),
        )
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging / "bundle", target)
            fsync_dir(target.parent)
            installed_bundle = target
        catalog = Catalog.open(settings.catalog_path)
        try:
            with catalog.db.atomic():
                _apply_reference(catalog, staging, manifest)
                listing_sets = _apply_listings(catalog, staging)
        finally:
            catalog.close()
        body = manifest.body
        update = InstalledUpdate(
            version=manifest.version,
            package_sha256=package_sha256,
            key_id=str(body.get("key_id")),
            bundle_dir=str(installed_bundle) if installed_bundle else None,
            reference_version=body["reference"]["reference_version"],
            listing_sets=listing_sets,
            installed_at=now_iso(),
            release_notes=body.get("release_notes") or {},
        )
        rollback = root / ROLLBACK_DIR
        shutil.rmtree(rollback, ignore_errors=True)
        os.rename(pending, rollback)
        write_atomic(installed_path(settings), canonical_json(update.to_dict()).encode())
    except BaseException:
        if installed_bundle is not None:
            shutil.rmtree(installed_bundle, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(pending, ignore_errors=True)
    _log_custody(
        settings,
        actor or current_user(),
        "update_apply",
        {**manifest.summary(), "package_sha256": package_sha256},
        package_sha256,
    )
    log.info("update %s installed from %s", manifest.version, package)
    return update


def rollback_update(settings: Settings, actor: str | None = None) -> InstalledUpdate | None:
    """Put back what the last ``apply`` replaced (one step).

    Returns:
        The update now in use (None: the post's own set-up).

    Raises:
        NotFound: nothing to roll back.
    """
    current = read_installed(settings)
    rollback = updates_dir(settings) / ROLLBACK_DIR
    state_file = rollback / "state.json"
    if current is None or not state_file.is_file():
        raise NotFound("no installed update to roll back")
    before = json.loads(state_file.read_text(encoding="utf-8"))["installed"]
    if (rollback / "catalog.db").is_file():
        _restore_catalog(rollback / "catalog.db", settings.catalog_path)
    if current.bundle_dir and Path(current.bundle_dir).is_dir():
        retired = updates_dir(settings) / RETIRED_DIR / f"{Path(current.bundle_dir).name}"
        retired.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(retired, ignore_errors=True)
        os.rename(current.bundle_dir, retired)
    path = installed_path(settings)
    previous = InstalledUpdate(**before) if before else None
    if previous is None:
        # the version file's removal is the change the server sees
        path.unlink()
    else:
        write_atomic(path, canonical_json(previous.to_dict()).encode())
    shutil.rmtree(rollback, ignore_errors=True)
    _log_custody(
        settings,
        actor or current_user(),
        "update_rollback",
        {"from": current.version, "to": previous.version if previous else None},
        current.package_sha256,
    )
    return previous


def _log_custody(
    settings: Settings, actor: str, action: str, details: dict[str, Any], sha256: str
) -> None:
    try:
        store = EvidenceStore.open(settings.evidence_path)
    except (IdtoolError, OSError, sqlite3.Error) as exc:  # the update itself is done
        log.error("could not log %s in the custody log: %s", action, exc)
        return
    try:
        store.log(actor, action, details=details, sha256=sha256)
    finally:
        store.close()
