"""Helpers for the server, evidence and browser tests (not a test module; the fixtures
are in tests/server/conftest.py).

Building a model bundle and a reference catalog costs seconds, so it is done once per
test session and reused: :func:`shared_home` returns the directory, each test then gets
its own evidence directory through :func:`settings_for`.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import struct
import threading
import zlib
from pathlib import Path

from flask.testing import FlaskClient
from phone_photos import phone_jpeg_of

from idtool.catalog.reference_import import import_reference_dir
from idtool.config import PROJECT_ROOT, Settings, load_settings
from idtool.decide.service import IdentificationService
from idtool.model.bundle import build_base_bundle

REFERENCE = PROJECT_ROOT / "reference_images"
DEMO = PROJECT_ROOT / "examples"
PER_CLASS = 4

_lock = threading.Lock()
_home: list[Path] = []


def ivory_photo() -> Path:
    return sorted((REFERENCE / "material_ivory").glob("*.jpg"))[0]


def coral_photo() -> Path:
    return sorted((REFERENCE / "Scleractinia").glob("*.jpg"))[1]


def phone_ivory(orientation: int = 6) -> bytes:
    """A 12 MP, 3-4 MB phone JPEG of the ivory reference photo (EXIF ``orientation``)."""
    return phone_jpeg_of(ivory_photo(), orientation)


def phone_coral() -> bytes:
    """A 12 MP phone JPEG of a coral reference photo."""
    return phone_jpeg_of(coral_photo(), 1)


def shared_home(root: Path) -> Path:
    """A home with a base model bundle and a small catalog (PER_CLASS photos a class)."""
    with _lock:
        if _home:
            return _home[0]
        home = root / "home"
        bundle = build_base_bundle(home / "bundle")
        subset = root / "reference"
        for class_dir in sorted(p for p in REFERENCE.iterdir() if p.is_dir()):
            for photo in sorted(class_dir.glob("*.jpg"))[:PER_CLASS]:
                (subset / class_dir.name).mkdir(parents=True, exist_ok=True)
                shutil.copy(photo, subset / class_dir.name / photo.name)
        for csv in ("TAXONOMY.csv", "MATERIALS.csv"):
            if (REFERENCE / csv).is_file():
                shutil.copy(REFERENCE / csv, subset / csv)
        settings = load_settings(home=home, model_dir=bundle)
        service = IdentificationService.open(settings, "torch")
        try:
            import_reference_dir(service.catalog, service.embedder(), subset)
        finally:
            service.close()
        _home.append(home)
        return home


def settings_for(home: Path, evidence_dir: Path, **overrides: object) -> Settings:
    return load_settings(
        home=home, model_dir=home / "bundle", evidence_dir=evidence_dir, **overrides
    )


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit PNG of width x height all-black pixels (tiny file, huge image)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def jpeg_with_exif() -> bytes:
    """A small JPEG carrying a capture time, camera and a GPS position (1.2921 S, 36.8219 E)."""
    from PIL import Image

    img = Image.new("RGB", (320, 240), (200, 180, 150))
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"
    exif[0x0110] = "Model 7"
    exif[0x0112] = 1
    exif.get_ifd(0x8769)[0x9003] = "2025:05:01 13:45:10"
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"
    gps[2] = (1.0, 17.0, 31.56)
    gps[3] = "E"
    gps[4] = (36.0, 49.0, 18.84)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def multipart(fields: dict[str, str], files: dict[str, tuple[bytes, str]]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its Content-Type, built in memory.

    (Werkzeug's test client spools bodies over 500 KB to a temporary file it never
    closes, which the strict warning filter reports; real-size photos need this.)
    """
    boundary = "idtool-" + hashlib.sha256(repr(sorted(fields)).encode()).hexdigest()[:24]
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode("utf-8") + b"\r\n")
    for name, (data, filename) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def upload(
    client: FlaskClient,
    headers: dict[str, str],
    data: bytes | None = None,
    filename: str = "photo.jpg",
    **fields: str,
):  # type: ignore[no-untyped-def]
    """POST one photo (default: a 12 MP phone JPEG of ivory) to /api/v1/identifications."""
    photo = phone_ivory() if data is None else data
    body, content_type = multipart(dict(fields), {"image": (photo, filename)})
    return client.post(
        "/api/v1/identifications", headers=headers, data=body, content_type=content_type
    )
