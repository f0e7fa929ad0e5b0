"""Real-size phone photos, made in the tests (not a test module).

A phone camera writes a 12-megapixel JPEG (4032x3024) of 3-6 MB with an EXIF block:
maker tags (make, model, software, capture time, GPS) and an orientation tag telling
the viewer how to turn the pixels. :func:`phone_jpeg` builds one from a shipped reference
photo, scaled up with sensor-like noise so the file has a phone's size and entropy;
:func:`with_orientation` gives the same pixels under another orientation tag (1, 3, 6, 8)
without re-encoding. :func:`phone_png` and :func:`phone_heic` give the same scene as a
PNG (screenshots, scanners) and a HEIC (iPhones), the latter only where pillow-heif can
encode.
"""

from __future__ import annotations

import functools
import io
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

PHONE_SIZE_PX = (4032, 3024)
NOISE_SIGMA = 7.0
JPEG_QUALITY = 92
ORIENTATIONS = (1, 3, 6, 8)


@dataclass(frozen=True)
class PhonePhotos:
    """The session's real-size photos: one JPEG per orientation, a PNG, maybe a HEIC."""

    jpeg: dict[int, bytes]  # orientation tag -> bytes
    png: bytes
    heic: bytes | None  # None where pillow-heif cannot encode
    source: Path


def phone_pixels(source: Path, seed: int = 11) -> np.ndarray:
    """BGR uint8 pixels of ``source`` at 4032x3024 with sensor-like noise."""
    image = cv2.imread(str(source), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(source)
    big = cv2.resize(image, PHONE_SIZE_PX, interpolation=cv2.INTER_CUBIC)
    noise = np.random.default_rng(seed).normal(0.0, NOISE_SIGMA, size=big.shape)
    return np.clip(big.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def phone_exif(orientation: int) -> bytes:
    """A phone-like EXIF block (``Exif\\0\\0`` + TIFF) with maker tags and GPS."""
    exif = Image.Exif()
    exif[0x010F] = "Samsung"  # Make
    exif[0x0110] = "Galaxy A54 5G"  # Model
    exif[0x0131] = "A546BXXS8CXK1"  # Software
    exif[0x0112] = orientation
    exif[0x0132] = "2025:06:14 09:12:33"  # DateTime
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = "2025:06:14 09:12:33"  # DateTimeOriginal
    ifd[0x920A] = (5.4, 1.0)  # FocalLength
    ifd[0x8827] = 125  # ISO
    ifd[0xA002], ifd[0xA003] = PHONE_SIZE_PX
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "S", (1.0, 17.0, 31.56)
    gps[3], gps[4] = "E", (36.0, 49.0, 18.84)
    data = exif.tobytes()
    return data if data.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + data


def with_orientation(jpeg: bytes, orientation: int) -> bytes:
    """The same JPEG with a fresh APP1 EXIF segment (old APP1 segments dropped)."""
    if not jpeg.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    pos, segments = 2, []
    while jpeg[pos] == 0xFF and jpeg[pos + 1] in range(0xE0, 0xF0):  # APPn
        length = struct.unpack(">H", jpeg[pos + 2 : pos + 4])[0]
        if jpeg[pos + 1] != 0xE1:
            segments.append(jpeg[pos : pos + 2 + length])
        pos += 2 + length
    exif = phone_exif(orientation)
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    return b"\xff\xd8" + app1 + b"".join(segments) + jpeg[pos:]


def phone_jpeg(pixels: np.ndarray, orientation: int = 1) -> bytes:
    """Encode BGR ``pixels`` as a phone JPEG with EXIF ``orientation``."""
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError("OpenCV could not encode the test JPEG")
    return with_orientation(encoded.tobytes(), orientation)


def phone_png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels[:, :, ::-1]).save(out, "PNG", compress_level=1)
    return out.getvalue()


def phone_heic(source: Path) -> bytes | None:
    """A 12 MP HEIC with the phone EXIF, or None where no HEIF encoder is installed."""
    try:
        import pillow_heif
    except ImportError:
        return None
    if not pillow_heif.libheif_info().get("encoders"):
        return None
    pillow_heif.register_heif_opener()
    image = cv2.imread(str(source), cv2.IMREAD_COLOR)
    big = cv2.resize(image, PHONE_SIZE_PX, interpolation=cv2.INTER_CUBIC)[:, :, ::-1]
    out = io.BytesIO()
    Image.fromarray(big).save(
        out, "HEIF", quality=80, exif=phone_exif(6), enc_params={"preset": "ultrafast"}
    )
    return out.getvalue()


@functools.lru_cache(maxsize=8)
def phone_jpeg_of(source: Path, orientation: int = 1) -> bytes:
    """A 12 MP phone JPEG of ``source`` (cached for the session)."""
    if orientation != 1:
        return with_orientation(phone_jpeg_of(source, 1), orientation)
    return phone_jpeg(phone_pixels(source), 1)


@functools.lru_cache(maxsize=2)
def make_phone_photos(source: Path) -> PhonePhotos:
    pixels = phone_pixels(source)
    base = phone_jpeg_of(source, 1)
    return PhonePhotos(
        jpeg={o: with_orientation(base, o) for o in ORIENTATIONS},
        png=phone_png(pixels),
        heic=phone_heic(source),
        source=source,
    )


def working_copy(photo: bytes, longest_px: int = 1600) -> bytes:
    """What the phone page sends first: the photo upright, longest side ~1600 px, JPEG,
    no EXIF (a canvas re-encode drops it)."""
    image = Image.open(io.BytesIO(photo))
    from PIL import ImageOps

    upright = ImageOps.exif_transpose(image).convert("RGB")
    upright.thumbnail((longest_px, longest_px))
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=85)
    return out.getvalue()
