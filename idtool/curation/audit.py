"""Auditing the reference set: what a curator must fix before the set is used.

Checks, each giving :class:`Finding` rows that name the files involved:

- ``unreadable_file`` (error): the file is gone or does not decode; ``changed_file``
  (warning): its bytes differ from what was imported.
- ``exact_duplicate``: the same bytes twice; an error across classes (one item under two
  labels is a bug), a warning within a class.
- ``near_duplicate``: the same photo resized, re-encoded, cropped a little or mirrored,
  found by a 64-bit difference hash (mirror included) or an embedding cosine of at least
  0.95; an error across classes, ``info`` within a class (cross-validation keeps them in one
  fold, but they inflate the class).
- ``suspect_label``: most of an image's nearest neighbours (embeddings) carry one other
  label, and that class is clearly closer than its own (mean of the 3 best cosines, by at
  least ``suspect_margin``); an error when that label is in another genus, a warning for a
  look-alike of the same genus.
- ``too_few_images``: fewer than ``min_images`` (warning) or than 3 (error: cannot train).
- ``missing_licence`` / ``unclear_licence`` / ``missing_source``: per class, the files.
- ``missing_embedding`` (info): not embedded with the current model.

:func:`idtool.curation.audit_report.render_audit_html` writes the findings as one
self-contained page with thumbnails side by side.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from idtool.catalog.store import Catalog, ReferenceImage
from idtool.catalog.taxonomy import TaxonRecord
from idtool.curation.grouping import (
    HASH_DISTANCE,
    NEAR_DUPLICATE_COSINE,
    difference_hash,
    linked_components,
)
from idtool.curation.training import MIN_IMAGES_PER_CLASS
from idtool.errors import IdtoolError
from idtool.model.preprocess import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, decode_image

SEVERITIES = ("error", "warning", "info")
DEFAULT_MIN_IMAGES = 10
NEIGHBOURS = 5
SUSPECT_SHARE = 0.6
SUSPECT_MARGIN = 0.10  # demo set: look-alike species reach ~0.09, a planted cheetah ~0.4
UNCLEAR_LICENCE = re.compile(
    r"\b(none|unknown|no licen[cs]e|not stated|unclear|copyright unknown|all rights reserved)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FileRef:
    """One reference image named by a finding."""

    image_id: int
    label: str
    path: str
    rel_path: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "image_id": self.image_id,
            "label": self.label,
            "path": self.path,
            "rel_path": self.rel_path,
        }


@dataclass(frozen=True)
class Finding:
    """One problem in the reference set."""

    kind: str
    severity: str  # error | warning | info
    message: str
    files: tuple[FileRef, ...] = ()
    labels: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "labels": list(self.labels),
            "files": [f.to_dict() for f in self.files],
            "details": self.details,
        }


@dataclass
class AuditReport:
    """Every finding of one audit run, worst first."""

    reference_version: str
    embedding_version: str | None
    images: int
    classes: int
    findings: list[Finding]
    checks: list[str]

    def counts(self) -> dict[str, int]:
        found = Counter(f.severity for f in self.findings)
        return {s: found.get(s, 0) for s in SEVERITIES}

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference_version": self.reference_version,
            "embedding_version": self.embedding_version,
            "images": self.images,
            "classes": self.classes,
            "checks": self.checks,
            "counts": self.counts(),
            "findings": [f.to_dict() for f in self.findings],
        }


def _ref(img: ReferenceImage) -> FileRef:
    return FileRef(img.id, img.label, img.path, img.rel_path)


def _same_genus(a: str, b: str, taxa: dict[str, TaxonRecord]) -> bool:
    ta, tb = taxa.get(a), taxa.get(b)
    if not ta or not tb:
        return False
    genus_a, genus_b = ta.ancestor("genus"), tb.ancestor("genus")
    return bool(genus_a and genus_a == genus_b)


def _check_files(
    images: list[ReferenceImage], max_bytes: int, max_pixels: int
) -> tuple[list[Finding], dict[int, tuple[int, int]]]:
    """Decode every file: unreadable / changed findings, and (hash, mirror hash) per id."""
    findings: list[Finding] = []
    hashes: dict[int, tuple[int, int]] = {}
    for img in images:
        try:
            decoded = decode_image(Path(img.path), max_bytes=max_bytes, max_pixels=max_pixels)
        except IdtoolError as exc:
            findings.append(
                Finding(
                    "unreadable_file",
                    "error",
                    f"{img.rel_path}: {exc.message} ({exc.code}); restore the file or remove "
                    "it with `idtool reference remove`",
                    (_ref(img),),
                    (img.label,),
                    {"code": exc.code},
                )
            )
            continue
        if decoded.sha256 != img.sha256:
            findings.append(
                Finding(
                    "changed_file",
                    "warning",
                    f"{img.rel_path} changed since it was imported; re-run `idtool reference "
                    "import` (or add it again) so the catalog and embeddings match the file",
                    (_ref(img),),
                    (img.label,),
                    {"catalog_sha256": img.sha256, "file_sha256": decoded.sha256},
                )
            )
        hashes[img.id] = (
            difference_hash(decoded.rgb),
            difference_hash(np.ascontiguousarray(decoded.rgb[:, ::-1])),
        )
    return findings, hashes


def _exact_duplicates(images: list[ReferenceImage]) -> list[Finding]:
    by_sha: dict[str, list[ReferenceImage]] = {}
    for img in images:
        by_sha.setdefault(img.sha256, []).append(img)
    findings = []
    for sha, group in by_sha.items():
        if len(group) < 2:
            continue
        labels = tuple(sorted({g.label for g in group}))
        cross = len(labels) > 1
        message = (
            f"the same photo is filed under {len(labels)} labels ({', '.join(labels)}): "
            "keep it under the right one and remove the others"
            if cross
            else f"the same photo is in {labels[0]} {len(group)} times: remove the copies"
        )
        findings.append(
            Finding(
                "exact_duplicate",
                "error" if cross else "warning",
                message,
                tuple(_ref(g) for g in group),
                labels,
                {"sha256": sha},
            )
        )
    return findings


def _near_duplicates(
    images: list[ReferenceImage],
    hashes: dict[int, tuple[int, int]],
    vectors: dict[int, np.ndarray],
    cosine: float,
    hash_distance: int,
) -> list[Finding]:
    index = {img.id: i for i, img in enumerate(images)}
    pairs: list[tuple[int, int]] = []
    evidence: dict[tuple[int, int], str] = {}
    hashed = [(index[i], h) for i, h in hashes.items()]
    for a in range(len(hashed)):
        ia, (ha, _) = hashed[a]
        for b in range(a + 1, len(hashed)):
            ib, (hb, mb) = hashed[b]
            if images[ia].sha256 == images[ib].sha256:
                continue
            distance = min((ha ^ hb).bit_count(), (ha ^ mb).bit_count())
            if distance <= hash_distance:
                pairs.append((ia, ib))
                evidence[(min(ia, ib), max(ia, ib))] = f"hash distance {distance}"
    ids = [i for i in vectors if i in index]
    if len(ids) > 1:
        matrix = np.stack([vectors[i] for i in ids])
        sims = matrix @ matrix.T
        rows, cols = np.nonzero(np.triu(sims >= cosine, k=1))
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            ia, ib = index[ids[r]], index[ids[c]]
            if images[ia].sha256 == images[ib].sha256:
                continue
            pairs.append((ia, ib))
            key = (min(ia, ib), max(ia, ib))
            evidence.setdefault(key, f"cosine {sims[r, c]:.3f}")
    findings = []
    for group in linked_components(len(images), pairs):
        members = [
            images[i] for i in sorted(group, key=lambda i: (images[i].label, images[i].rel_path))
        ]
        labels = tuple(sorted({m.label for m in members}))
        cross = len(labels) > 1
        why = sorted({v for (a, b), v in evidence.items() if a in group and b in group})
        message = (
            f"near-identical photos under {len(labels)} labels ({', '.join(labels)}): "
            "probably one item under two labels; keep the right label"
            if cross
            else f"{len(members)} near-identical photos in {labels[0]}: keep one, or accept "
            "that they count as one in cross-validation"
        )
        findings.append(
            Finding(
                "near_duplicate",
                "error" if cross else "info",
                message,
                tuple(_ref(m) for m in members),
                labels,
                {"evidence": why[:10]},
            )
        )
    return findings


def _class_score(row: np.ndarray, mask: np.ndarray) -> float:
    """Mean of the (up to) 3 best similarities of one photo to the photos of one class."""
    values = np.sort(row[mask & np.isfinite(row)])[::-1][:3]
    return float(values.mean()) if values.size else -1.0


def _suspect_labels(
    images: list[ReferenceImage],
    vectors: dict[int, np.ndarray],
    taxa: dict[str, TaxonRecord],
    neighbours: int,
    share: float,
    margin: float,
) -> list[Finding]:
    kept = [img for img in images if img.id in vectors]
    if len(kept) <= neighbours:
        return []
    matrix = np.stack([vectors[img.id] for img in kept])
    sims = matrix @ matrix.T
    shas = np.array([img.sha256 for img in kept])
    labels = np.array([img.label for img in kept])
    needed = math.ceil(share * neighbours)
    findings = []
    for i, img in enumerate(kept):
        row = sims[i].copy()
        row[shas == img.sha256] = -np.inf  # itself and its exact copies are no evidence
        top = np.argsort(-row)[:neighbours]
        votes = Counter(labels[top].tolist())
        other, count = max(
            ((lab, n) for lab, n in votes.items() if lab != img.label),
            key=lambda item: item[1],
            default=(None, 0),
        )
        if other is None or count < needed:
            continue
        own_score = _class_score(row, labels == img.label)
        other_score = _class_score(row, labels == other)
        if other_score - own_score < margin:
            continue  # an ordinary look-alike: the photo is still close to its own class
        same_genus = _same_genus(img.label, other, taxa)
        findings.append(
            Finding(
                "suspect_label",
                "warning" if same_genus else "error",
                f"{img.rel_path} is labelled {img.label} but {count} of its {neighbours} nearest "
                f"photos are {other}"
                + (" (a look-alike of the same genus)" if same_genus else ": check the label"),
                (_ref(img), *(_ref(kept[j]) for j in top)),
                (img.label, other),
                {
                    "suggested_label": other,
                    "votes": dict(votes),
                    "neighbour_similarity": [round(float(row[j]), 4) for j in top],
                    "own_label_score": round(own_score, 4),
                    "suggested_label_score": round(other_score, 4),
                    "same_genus": same_genus,
                },
            )
        )
    return findings


def _class_findings(
    catalog: Catalog, images: list[ReferenceImage], min_images: int
) -> list[Finding]:
    by_label: dict[str, list[ReferenceImage]] = {label: [] for label in catalog.taxa()}
    for img in images:
        by_label.setdefault(img.label, []).append(img)
    photographers = {
        r["id"]: r["photographer"]
        for r in catalog.db.query("select id, photographer from images where active = 1")
    }
    findings = []
    for label, members in sorted(by_label.items()):
        count = len(members)
        if count < min_images:
            findings.append(
                Finding(
                    "too_few_images",
                    "error" if count < MIN_IMAGES_PER_CLASS else "warning",
                    f"{label} has {count} active photo(s); at least {min_images} are needed for "
                    "a usable class"
                    + (
                        f" and {MIN_IMAGES_PER_CLASS} to train at all"
                        if count < MIN_IMAGES_PER_CLASS
                        else ""
                    ),
                    tuple(_ref(m) for m in members),
                    (label,),
                    {"images": count, "min_images": min_images},
                )
            )
        missing = [m for m in members if not (m.licence or "").strip()]
        unclear = [m for m in members if m.licence and UNCLEAR_LICENCE.search(m.licence)]
        no_source = [
            m for m in members if not (m.source or "").strip() and not photographers.get(m.id)
        ]
        for kind, group, severity, text in (
            ("missing_licence", missing, "warning", "have no licence recorded"),
            ("unclear_licence", unclear, "warning", "have a licence that grants nothing clear"),
            ("missing_source", no_source, "warning", "have neither a source nor a photographer"),
        ):
            if group:
                values = sorted({(m.licence or "").strip() for m in group} - {""})
                findings.append(
                    Finding(
                        kind,
                        severity,
                        f"{len(group)} of {count} {label} photos {text}"
                        + (
                            f" ({'; '.join(values)[:160]})"
                            if values and kind == "unclear_licence"
                            else ""
                        )
                        + ": record it (`idtool reference add --licence/--source`) or replace them",
                        tuple(_ref(m) for m in group),
                        (label,),
                        {"images": len(group), "licences": values},
                    )
                )
    return findings


def _severity_order(finding: Finding) -> tuple[int, str, str]:
    return (SEVERITIES.index(finding.severity), finding.kind, finding.message)


def most_common_embedding_version(catalog: Catalog) -> str | None:
    rows = list(
        catalog.db.query(
            "select embedding_version, count(*) as n from embeddings"
            " group by embedding_version order by n desc limit 1"
        )
    )
    return rows[0]["embedding_version"] if rows else None


def audit_reference(
    catalog: Catalog,
    embedding_version: str | None,
    *,
    min_images: int = DEFAULT_MIN_IMAGES,
    near_duplicate_cosine: float = NEAR_DUPLICATE_COSINE,
    hash_distance: int = HASH_DISTANCE,
    neighbours: int = NEIGHBOURS,
    suspect_share: float = SUSPECT_SHARE,
    suspect_margin: float = SUSPECT_MARGIN,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    progress: Callable[[str], None] | None = None,
) -> AuditReport:
    """Run every check over the active reference images.

    Args:
        catalog: the open catalog.
        embedding_version: embeddings to use for near-duplicates and suspect labels; ``None``
            picks the version most images were embedded with.
        min_images: classes with fewer active photos are reported.
        near_duplicate_cosine: embedding cosine at or above which two photos are near-duplicates.
        hash_distance: difference-hash Hamming distance at or below which they are.
        neighbours: how many nearest photos vote on a label.
        suspect_share: share of the votes another label needs to make an image suspect.
        suspect_margin: and by how much its photos must be closer than the image's own class
            (mean of the 3 best cosines per class).
        max_bytes: decoding limit per file.
        max_pixels: decoding limit per file.
        progress: called with one line per stage.

    Returns:
        The report, errors first.
    """
    images = catalog.active_images()
    taxa = catalog.taxa()
    version = embedding_version or most_common_embedding_version(catalog)
    checks = ["files", "exact_duplicates", "classes", "licences"]
    if progress:
        progress(f"decoding {len(images)} reference photos...")
    findings, hashes = _check_files(images, max_bytes, max_pixels)
    findings += _exact_duplicates(images)
    vectors: dict[int, np.ndarray] = {}
    if version is not None:
        rows = catalog.db.query(
            "select i.id, e.vector from images i join embeddings e on e.image_id = i.id"
            " and e.sha256 = i.sha256 where i.active = 1 and e.embedding_version = ?",
            [version],
        )
        vectors = {r["id"]: np.frombuffer(r["vector"], dtype="<f4") for r in rows}
        missing = [img for img in images if img.id not in vectors]
        if missing:
            findings.append(
                Finding(
                    "missing_embedding",
                    "info",
                    f"{len(missing)} photo(s) have no embedding for {version}: run "
                    "`idtool reference import` on their folder to embed them; the checks below "
                    "skip them",
                    tuple(_ref(m) for m in missing),
                    tuple(sorted({m.label for m in missing})),
                )
            )
        checks += ["near_duplicates", "suspect_labels"]
    if progress:
        progress("comparing photos...")
    findings += _near_duplicates(images, hashes, vectors, near_duplicate_cosine, hash_distance)
    findings += _suspect_labels(images, vectors, taxa, neighbours, suspect_share, suspect_margin)
    findings += _class_findings(catalog, images, min_images)
    findings.sort(key=_severity_order)
    return AuditReport(
        reference_version=catalog.reference_version(),
        embedding_version=version,
        images=len(images),
        classes=len({img.label for img in images}),
        findings=findings,
        checks=checks,
    )
