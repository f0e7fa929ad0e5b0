"""EXIF facts from a photo's original bytes: when, where, with what camera.

Only reads headers (Pillow's ``getexif`` plus the Exif and GPS IFDs); the pixels are
never decoded. The result is a small JSON-safe dict so it can be stored with the
evidence and shown to the officer, who should see what the phone recorded (GPS in
particular).
"""

from __future__ import annotations

import io
import logging
import warnings
from typing import Any

from PIL import Image, UnidentifiedImageError

from idtool.model.preprocess import sniff_format

log = logging.getLogger(__name__)

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
TAG_MAKE = 0x010F
TAG_MODEL = 0x0110
TAG_ORIENTATION = 0x0112
TAG_DATETIME = 0x0132
TAG_DATETIME_ORIGINAL = 0x9003
TAG_OFFSET_TIME_ORIGINAL = 0x9011
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4
GPS_ALT_REF, GPS_ALT = 5, 6

EXIF_KEYS = (
    "datetime_original",
    "offset_time",
    "make",
    "model",
    "orientation",
    "gps_latitude",
    "gps_longitude",
    "gps_altitude_m",
)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value).replace("\x00", "").strip()
    return text or None


def _rational(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:
        num, den = value
        return float(num) / float(den) if den else 0.0
    return float(value)


def _degrees(value: Any, ref: Any) -> float | None:
    """Degrees/minutes/seconds plus an N/S/E/W reference to signed decimal degrees."""
    try:
        d, m, s = (_rational(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    decimal = d + m / 60.0 + s / 3600.0
    if _text(ref) in {"S", "W"}:
        decimal = -decimal
    return round(decimal, 6)


def _exif_datetime(value: Any) -> str | None:
    """``2024:05:01 13:45:10`` -> ``2024-05-01T13:45:10`` (local time of the camera)."""
    text = _text(value)
    if not text or len(text) < 19:
        return None
    date, _, time = text[:19].partition(" ")
    date = date.replace(":", "-")
    if len(date) != 10 or len(time) != 8 or date.startswith("0000"):
        return None
    return f"{date}T{time}"


def extract_exif(data: bytes) -> dict[str, Any]:
    """Read time, camera, orientation and GPS position from a photo's EXIF block.

    Args:
        data: the original file bytes (JPEG, PNG, WebP, TIFF, HEIC when pillow-heif is
            registered).

    Returns:
        A dict with every key of :data:`EXIF_KEYS` (``None`` when absent). GPS is signed
        decimal degrees (south and west negative). Unreadable metadata gives all
        ``None``: EXIF is evidence context, never a reason to refuse a photo.
    """
    out: dict[str, Any] = dict.fromkeys(EXIF_KEYS)
    if sniff_format(data) == "heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                exif = image.getexif()
                exif_ifd = exif.get_ifd(EXIF_IFD)
                gps = exif.get_ifd(GPS_IFD)
                # pillow-heif turns a HEIC upright as it opens it and then rewrites the
                # tag to 1; the value the camera wrote is kept here.
                original_orientation = image.info.get("original_orientation")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, TypeError) as exc:
        log.debug("no readable EXIF: %s", exc)
        return out
    out["make"] = _text(exif.get(TAG_MAKE))
    out["model"] = _text(exif.get(TAG_MODEL))
    orientation = exif.get(TAG_ORIENTATION)
    if isinstance(original_orientation, int):
        orientation = original_orientation
    out["orientation"] = int(orientation) if isinstance(orientation, int) else None
    out["datetime_original"] = _exif_datetime(
        exif_ifd.get(TAG_DATETIME_ORIGINAL)
    ) or _exif_datetime(exif.get(TAG_DATETIME))
    out["offset_time"] = _text(exif_ifd.get(TAG_OFFSET_TIME_ORIGINAL))
    if GPS_LAT in gps and GPS_LON in gps:
        out["gps_latitude"] = _degrees(gps[GPS_LAT], gps.get(GPS_LAT_REF))
        out["gps_longitude"] = _degrees(gps[GPS_LON], gps.get(GPS_LON_REF))
    if GPS_ALT in gps:
        try:
            altitude = _rational(gps[GPS_ALT])
        except (TypeError, ValueError, ZeroDivisionError):
            altitude = None
        if altitude is not None:
            below = gps.get(GPS_ALT_REF) in (1, b"\x01")
            out["gps_altitude_m"] = round(-altitude if below else altitude, 1)
    return out
