"""Real-size phone photos for the tests of the field path (not a test module).

A phone camera gives a 12-megapixel JPEG of 3–6 MB whose pixels are stored sideways with
an EXIF orientation tag, plus camera and maker tags. :func:`phone_photo` makes one from a
reference photo: scaled to 4032x3024 with sensor-like noise (so it compresses like a real
photo, not like a flat test card), orientation 6 (the phone was held upright).
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np

PHONE_SIZE_PX = (4032, 3024)  # width, height as stored (12.2 MP)


@functools.lru_cache(maxsize=8)
def phone_photo(source: Path, orientation: int = 6, quality: int = 92, seed: int = 0) -> bytes:
    """A 4032x3024 JPEG of ``source`` with EXIF orientation, camera, time and maker tags.

    Args:
        source: any photo OpenCV/Pillow can read (a reference photo).
        orientation: the EXIF orientation tag (1, 3, 6 or 8).
        quality: JPEG quality; 92 gives 3–6 MB like a phone camera.
        seed: noise seed (a different seed gives different bytes).

    Returns:
        The JPEG bytes.
    """
    from PIL import Image

    with Image.open(source) as img:
        base = img.convert("RGB").resize(PHONE_SIZE_PX, Image.Resampling.BICUBIC)
    pixels = np.asarray(base, dtype=np.int16)
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, 5.0, size=(*pixels.shape[:2], 1)).astype(np.int16)
    noisy = np.clip(pixels + noise, 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"  # Make
    exif[0x0110] = "TP-12 Pro"  # Model
    exif[0x0112] = orientation
    exif[0x0131] = "TestPhone OS 17.4"  # Software
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2026:03:14 09:26:53"  # DateTimeOriginal
    sub[0x920A] = 4.25  # FocalLength
    sub[0x927C] = b"TestPhone maker note\x00" + bytes(range(256)) * 4  # MakerNote
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "S", (1.0, 19.0, 9.9)
    gps[3], gps[4] = "E", (36.0, 55.0, 39.1)
    out = io.BytesIO()
    Image.fromarray(noisy).save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def write_phone_photo(source: Path, directory: Path, name: str = "IMG_0042.jpg", **kw: int) -> Path:
    """:func:`phone_photo` written to ``directory/name`` (for uploads from a browser)."""
    path = directory / name
    path.write_bytes(phone_photo(source, **kw))
    return path
