"""Signed update packages: what ``idtool update publish`` writes and ``apply`` checks.

A package is one uncompressed tar file::

    idtool-update.json          the manifest (below)
    idtool-update.sig           Ed25519 signature of the manifest's exact bytes
    payload/bundle/...          the model bundle (model.json, weights, head, ONNX export)
    payload/reference.json      taxa and reference-image metadata (no photos)
    payload/embeddings.npy      their embeddings (float32, one row per image, same order)
    payload/listings.json       the imported CITES / EU listing sets (with --listings)

The manifest names the package ``version``, the version it ``replaces``, the bundle, the
reference and listing versions, the release notes (the evaluation summary) and every
payload file with its size and SHA-256. The signature covers the manifest, the manifest
covers every file: :func:`verify_package` checks both, and that the tar holds nothing
else, before anything is installed.

A hub can serve the newest package to posts at sync time as is: the package is
self-contained and its signature is the curator's, so the hub needs no key of its own
(``GET /updates/latest`` returning the newest file and its manifest is enough; posts
verify with their own trusted public key).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from idtool.catalog.store import Catalog
from idtool.errors import BadField, UpdateRefused
from idtool.evidence.custody import canonical_json
from idtool.evidence.originals import fsync_dir
from idtool.learn.update_keys import key_id, load_private_key, verify_signature
from idtool.model.bundle import ModelBundle

FORMAT = "idtool-update/1"
MANIFEST = "idtool-update.json"
SIGNATURE = "idtool-update.sig"
PAYLOAD = "payload"
BUNDLE_DIR = f"{PAYLOAD}/bundle"
REFERENCE_JSON = f"{PAYLOAD}/reference.json"
EMBEDDINGS_NPY = f"{PAYLOAD}/embeddings.npy"
LISTINGS_JSON = f"{PAYLOAD}/listings.json"
LISTING_TABLES = ("cites_taxa", "cites_quotas", "cites_reservations", "eu_annex_taxa")
CHUNK = 1 << 20


@dataclass(frozen=True)
class Manifest:
    """The signed description of a package (see the module docstring)."""

    body: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.body["version"])

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return {f["path"]: f for f in self.body["files"]}

    def summary(self) -> dict[str, Any]:
        keep = ("version", "replaces", "created", "key_id", "bundle", "reference", "listings")
        return {k: self.body.get(k) for k in keep}


def version_key(version: str) -> tuple[int, ...]:
    """Order versions such as ``2026.12.07.1`` or ``1.4.0`` (numeric parts, left to right).

    Raises:
        BadField: a part is not a whole number.
    """
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        raise BadField(
            f"version {version!r} must be numbers separated by dots (e.g. 2026.12.07.1)"
        ) from None


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def reference_payload(catalog: Catalog, embedding_version: str) -> tuple[dict[str, Any], bytes]:
    """The active reference set: metadata (JSON) and embeddings (``.npy`` bytes).

    Raises:
        EmptyReference: no embeddings for ``embedding_version``.
    """
    reference = catalog.load_embeddings(embedding_version)
    rows = {
        r["id"]: r
        for r in catalog.db.query(
            "select id, label, rel_path, sha256, width, height, bytes, licence, source,"
            " photographer, notes from images where active = 1"
        )
    }
    images = []
    for image_id in reference.image_ids:
        row = dict(rows[image_id])
        row.pop("id")
        images.append(row)
    used = set(reference.labels)
    taxa = [t.to_row() for label, t in sorted(catalog.taxa().items()) if label in used]
    meta = {
        "reference_version": reference.reference_version,
        "embedding_version": embedding_version,
        "taxa": taxa,
        "images": images,
    }
    out = io.BytesIO()
    np.save(out, reference.vectors.astype("<f4"), allow_pickle=False)
    return meta, out.getvalue()


def listings_payload(catalog: Catalog) -> dict[str, Any]:
    """Every imported listing set with its rows (sets are additive on the post)."""
    db = catalog.db
    if not db.table("listing_sets").exists():
        return {"sets": []}
    sets = []
    for row in db.query("select * from listing_sets order by id"):
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in LISTING_TABLES:
            if db.table(table).exists():
                found = [
                    {k: v for k, v in r.items() if k not in ("id", "set_id")}
                    for r in db.query(f"select * from {table} where set_id = ?", [row["id"]])
                ]
                if found:
                    tables[table] = found
        sets.append({"set": {k: v for k, v in row.items() if k != "id"}, "rows": tables})
    return {"sets": sets}


def publish_package(
    out: Path,
    *,
    private_key: Path,
    bundle: ModelBundle,
    catalog: Catalog,
    version: str | None = None,
    replaces: str | None = None,
    include_listings: bool = False,
    release_notes: dict[str, Any] | None = None,
) -> Manifest:
    """Write a signed package to ``out`` (through a temporary file and a rename).

    Raises:
        BadField: ``out`` exists, a bad version, or a bad key file.
        NotFound: no such key file.
        EmptyReference: the catalog has no embeddings for the bundle.
    """
    if out.exists():
        raise BadField(f"{out} already exists: publish to a new file")
    key = load_private_key(private_key)
    version = version or dt.datetime.now(dt.UTC).strftime("%Y.%m.%d.%H%M%S")
    version_key(version)
    if replaces is not None and version_key(replaces) >= version_key(version):
        raise BadField(f"version {version} is not newer than the one it replaces ({replaces})")
    meta, vectors = reference_payload(catalog, bundle.embedding_version)
    blobs: dict[str, bytes] = {
        REFERENCE_JSON: json.dumps(meta, ensure_ascii=False, sort_keys=True).encode(),
        EMBEDDINGS_NPY: vectors,
    }
    listings = None
    if include_listings:
        payload = listings_payload(catalog)
        blobs[LISTINGS_JSON] = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        listings = {
            "sets": [f"{s['set']['name']}@{str(s['set']['sha256'])[:12]}" for s in payload["sets"]]
        }
    bundle_files = sorted(p for p in bundle.path.rglob("*") if p.is_file())
    files = [
        {"path": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in blobs.items()
    ]
    for path in bundle_files:
        rel = f"{BUNDLE_DIR}/{path.relative_to(bundle.path).as_posix()}"
        files.append({"path": rel, "bytes": path.stat().st_size, "sha256": _sha256_file(path)})
    public = key.public_key()
    body = {
        "format": FORMAT,
        "version": version,
        "replaces": replaces,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "key_id": key_id(public),
        "bundle": {
            "name": bundle.name,
            "version": bundle.version,
            "embedding_version": bundle.embedding_version,
        },
        "reference": {
            "reference_version": meta["reference_version"],
            "images": len(meta["images"]),
            "classes": sorted({i["label"] for i in meta["images"]}),
        },
        "listings": listings,
        "release_notes": release_notes or {},
        "files": sorted(files, key=lambda f: str(f["path"])),
    }
    manifest_bytes = canonical_json(body).encode("utf-8")
    signature = key.sign(manifest_bytes)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        with tarfile.open(temp, "w", format=tarfile.PAX_FORMAT) as tar:
            for name, data in ((MANIFEST, manifest_bytes), (SIGNATURE, signature), *blobs.items()):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
            for path in bundle_files:
                rel = f"{BUNDLE_DIR}/{path.relative_to(bundle.path).as_posix()}"
                info = tarfile.TarInfo(rel)
                info.size = path.stat().st_size
                info.mode = 0o644
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
        temp.rename(out)
        fsync_dir(out.parent)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return Manifest(body)


def read_manifest(package: Path, trusted: Any) -> Manifest:
    """Read and verify the signed manifest of ``package`` (nothing is extracted).

    Args:
        package: the package file.
        trusted: the trusted Ed25519 public key.

    Raises:
        UpdateRefused: not a package, truncated, unsigned, or not signed by ``trusted``.
    """
    try:
        with tarfile.open(package, "r:") as tar:
            members = {m.name: m for m in tar.getmembers()}
            if MANIFEST not in members:
                raise UpdateRefused(f"{package} is not an idtool update package (no manifest)")
            if SIGNATURE not in members:
                raise UpdateRefused(f"{package} is unsigned: refusing to install it")
            manifest_bytes = _member_bytes(tar, members[MANIFEST])
            signature = _member_bytes(tar, members[SIGNATURE])
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UpdateRefused(
            f"{package} is not a complete update package (truncated or damaged: {exc})"
        ) from None
    verify_signature(trusted, signature, manifest_bytes)
    try:
        body = json.loads(manifest_bytes)
    except ValueError:
        raise UpdateRefused(f"{package}: the manifest is not JSON") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise UpdateRefused(f"{package}: unknown package format (expected {FORMAT})")
    version_key(str(body.get("version")))
    return Manifest(body)


def _member_bytes(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    if handle is None:
        raise UpdateRefused(f"package member {member.name} is not a file")
    data = handle.read()
    if len(data) != member.size:
        raise UpdateRefused(f"package member {member.name} is truncated")
    return data


def extract_verified(package: Path, manifest: Manifest, target: Path) -> None:
    """Extract the payload into ``target`` (a new folder), checking every file's hash.

    Raises:
        UpdateRefused: a file is missing, extra, unsafe, truncated or altered; ``target``
            is removed again.
    """
    expected = manifest.files
    seen: set[str] = set()
    target.mkdir(parents=True)
    try:
        with tarfile.open(package, "r:") as tar:
            for member in tar:
                if member.name in (MANIFEST, SIGNATURE):
                    continue
                name = member.name
                pure = PurePosixPath(name)
                if (
                    name not in expected
                    or not member.isfile()
                    or pure.is_absolute()
                    or ".." in pure.parts
                ):
                    raise UpdateRefused(f"package holds {name!r}, which its manifest does not list")
                if name in seen:
                    raise UpdateRefused(f"package holds {name!r} twice")
                seen.add(name)
                source = tar.extractfile(member)
                if source is None:
                    raise UpdateRefused(f"package member {name} is not a file")
                path = target / pure.relative_to(PAYLOAD)
                path.parent.mkdir(parents=True, exist_ok=True)
                digest, size = hashlib.sha256(), 0
                with path.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                want = expected[name]
                if size != want["bytes"] or digest.hexdigest() != want["sha256"]:
                    raise UpdateRefused(
                        f"package file {name} does not match its SHA-256 in the signed "
                        "manifest: the package was altered or truncated"
                    )
        missing = sorted(set(expected) - seen)
        if missing:
            raise UpdateRefused(
                f"package is missing {len(missing)} file(s) its manifest lists "
                f"(first: {missing[0]}): truncated?"
            )
    except (tarfile.TarError, EOFError, OSError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise UpdateRefused(f"{package} is truncated or damaged: {exc}") from None
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
