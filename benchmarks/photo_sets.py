"""Benchmark photo sets, generated from the real demo photos in ``../shared``.

* :func:`synth_medium`: variants (crop, flip, brightness) resized to a 640-1,280 px long
  side, JPEG quality 88: the size of photos mailed or exported from a case file.
* :func:`synth_phone`: 12 MP phone photos (4,032 x 3,024, JPEG quality 92, about 3-5 MB):
  a demo photo enlarged with a little sensor noise and sharpening so the JPEG has a phone's
  entropy; every third one is stored rotated with EXIF orientation 6, as phones do.

Both are deterministic (seeded), so every mode of a benchmark reads the same files.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIRS = (
    ROOT.parent / "shared" / "data" / "reference_demo",
    Path("/work/shared/data/reference_demo"),
)
PHONE_SIZE_PX = (4032, 3024)


def demo_photos() -> list[Path]:
    """The shared demo photos (``reference_demo/<class>/*.jpg``), or [] when absent."""
    for folder in DEMO_DIRS:
        photos = sorted(folder.glob("*/*.jpg"))
        if photos:
            return photos
    return []


def _sources() -> list[Path]:
    photos = demo_photos()
    if not photos:
        raise SystemExit("no demo photos found (../shared/data/reference_demo)")
    # the larger photos first: enlarging a 224 px crop to 12 MP says little about a phone
    return sorted(photos, key=lambda p: (-min(cv2.imread(str(p)).shape[:2]), p.name))


def synth_medium(target: Path, count: int, seed: int = 0) -> list[Path]:
    """``count`` JPEGs of 640-1,280 px (long side) in ``target/d<N>/``."""
    sources = sorted(demo_photos())
    if not sources:
        raise SystemExit("no demo photos found (../shared/data/reference_demo)")
    rng = random.Random(seed)
    written = []
    for i in range(count):
        img = cv2.imread(str(sources[i % len(sources)]))
        h, w = img.shape[:2]
        dx, dy = rng.randint(0, w // 8), rng.randint(0, h // 8)
        img = img[dy : h - rng.randint(0, h // 8), dx : w - rng.randint(0, w // 8)]
        if rng.random() < 0.5:
            img = cv2.flip(img, 1)
        img = cv2.convertScaleAbs(img, alpha=rng.uniform(0.8, 1.2), beta=rng.uniform(-20, 20))
        long_side = rng.randint(640, 1280)
        scale = long_side / max(img.shape[:2])
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        sub = target / f"d{i % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"m{i:05d}.jpg"
        cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 88])
        written.append(path)
    return written


def phone_jpeg(rgb: np.ndarray, seed: int, orientation: int = 1) -> bytes:
    """A 12 MP phone-like JPEG of ``rgb`` (stored rotated when ``orientation`` is 6)."""
    rng = np.random.default_rng(seed)
    width, height = PHONE_SIZE_PX
    h, w = rgb.shape[:2]
    if h > w:
        width, height = height, width
    # cover the frame, centre crop: no letterbox bands
    scale = max(width / w, height / h)
    big = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_CUBIC)
    top, left = (big.shape[0] - height) // 2, (big.shape[1] - width) // 2
    big = big[top : top + height, left : left + width]
    blurred = cv2.GaussianBlur(big, (0, 0), 2.0)
    big = cv2.addWeighted(big, 1.6, blurred, -0.6, 0)  # a phone's sharpening
    noise = rng.normal(0.0, 2.5, big.shape).astype(np.float32)
    big = np.clip(big.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if orientation == 6:  # stored turned 90 deg counter-clockwise, EXIF says turn it back
        big = cv2.rotate(big, cv2.ROTATE_90_COUNTERCLOCKWISE)
    image = Image.fromarray(big)
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "idtool-benchmark"
    image.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


def synth_phone(target: Path, count: int, seed: int = 0) -> list[Path]:
    """``count`` 12 MP phone JPEGs in ``target/p<N>/``."""
    sources = _sources()
    written = []
    for i in range(count):
        bgr = cv2.imread(str(sources[i % len(sources)]))
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        sub = target / f"p{i % 4}"
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"phone{i:04d}.jpg"
        path.write_bytes(phone_jpeg(rgb, seed + i, orientation=6 if i % 3 == 2 else 1))
        written.append(path)
    return written
