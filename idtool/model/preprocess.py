"""Image decoding and model preprocessing.

Decoding uses OpenCV (Pillow only reads headers and EXIF, and decodes HEIC through
pillow-heif). Every failure is one of three typed errors: :class:`UnsupportedMediaType`
(not an image format idtool reads), :class:`InvalidImage` (empty, truncated or corrupt)
or :class:`ImageTooLarge` (too many bytes, or too many pixels: checked from the header
before any pixel is decoded, so a pixel bomb never allocates).

Preprocessing values (input size, crop, mean/std, interpolation) come only from
:class:`PreprocessConfig`, which is built from a model bundle's ``model.json``.

Decoding for the model (``decode_image(..., fit=config)``) decodes once, at the size
needed: a JPEG is decoded at 1/2, 1/4 or 1/8 scale in libjpeg's DCT domain
(``cv2.IMREAD_REDUCED_COLOR_*``), the largest reduction that keeps its short side at or
above the model's resize size (``input_size / crop_pct``, 256 px for the shipped bundle),
and any image is then shrunk once to that short side. That one downscale is the
*working image* shared by the model input (a centre crop of it), the quality checks and
the batch thumbnail. The original pixel size stays in :class:`DecodedImage` for the
resolution check and the record. A 12 MP phone photo decodes in about 20 ms this way
instead of about 200 ms.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from idtool.errors import ImageTooLarge, InvalidImage, UnsupportedMediaType

DEFAULT_MAX_BYTES = 40 * 1024 * 1024
DEFAULT_MAX_PIXELS = 60_000_000
EXIF_ORIENTATION_TAG = 0x0112

_INTERPOLATIONS = {
    "bicubic": cv2.INTER_CUBIC,
    "bilinear": cv2.INTER_LINEAR,
    "nearest": cv2.INTER_NEAREST,
    "area": cv2.INTER_AREA,
}


@dataclass(frozen=True)
class PreprocessConfig:
    """How a model wants its input: from ``model.json``, never hard-coded."""

    input_size: int
    interpolation: str
    crop_pct: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    # Short side kept by a fitted decode (0: just what the model input needs). A head that
    # also reads surface tiles needs more detail than the 224 px input (see
    # idtool.decide.texture.TEXTURE_WORKING_PX).
    working_px: int = 0

    @property
    def resize_px(self) -> int:
        """The short side the image is resized to before the centre crop."""
        return math.floor(self.input_size / self.crop_pct)

    def same_input(self, other: PreprocessConfig) -> bool:
        """True when both give the same model input (the working size may differ)."""
        return replace(self, working_px=0) == replace(other, working_px=0)

    @property
    def working_short_px(self) -> int:
        """The short side of the working image a fitted decode keeps (never below resize_px)."""
        return max(self.working_px, self.resize_px)

    @classmethod
    def from_bundle(cls, meta: dict[str, Any]) -> PreprocessConfig:
        """Build from a ``model.json`` mapping (keys input_size, interpolation, crop_pct, mean, std)."""
        interpolation = str(meta["interpolation"])
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"unknown interpolation {interpolation!r}")
        return cls(
            input_size=int(meta["input_size"]),
            interpolation=interpolation,
            crop_pct=float(meta["crop_pct"]),
            mean=(float(meta["mean"][0]), float(meta["mean"][1]), float(meta["mean"][2])),
            std=(float(meta["std"][0]), float(meta["std"][1]), float(meta["std"][2])),
        )


@dataclass(frozen=True)
class DecodedImage:
    """A decoded photo: 8-bit RGB pixels, upright, plus facts about the original bytes.

    ``rgb`` is full size unless the image was decoded with ``fit=`` (then it is the
    working image, see the module docstring); ``original_width`` / ``original_height``
    are always the stored image's own size (from its header, before EXIF rotation).
    """

    rgb: np.ndarray  # uint8, H x W x 3, EXIF orientation applied
    sha256: str
    byte_count: int
    media_format: str  # jpeg, png, webp, heic, bmp, tiff, gif
    original_width: int
    original_height: int
    orientation: int  # EXIF orientation tag value that was applied (1 = none)
    jpeg_reduction: int = 1  # 1, 2, 4 or 8: libjpeg's DCT-domain scale used to decode
    fitted_for: PreprocessConfig | None = None  # the ``fit`` it was decoded for
    model_input: np.ndarray | None = None  # float32 3 x H x W for ``fitted_for``
    # Where a fitted decode came from (its path, or the bytes it was given), so a larger
    # working image can be decoded again later (:func:`redecode`); None for a full decode.
    source: Path | bytes | None = field(default=None, repr=False)

    def model_input_for(self, config: PreprocessConfig) -> np.ndarray:
        """The model input for ``config``: made at decode time when it was decoded for it."""
        fitted = self.fitted_for
        if self.model_input is not None and fitted is not None and fitted.same_input(config):
            return self.model_input
        return to_model_input(self.rgb, config)

    def keeps_working_px(self, short_side_px: int) -> bool:
        """True when ``rgb`` holds every pixel a working image of this short side would
        (full size, or fitted for at least that working size)."""
        return self.fitted_for is None or self.fitted_for.working_short_px >= short_side_px

    @property
    def original_size_px(self) -> tuple[int, int]:
        """(width, height) of the original photo, upright (EXIF rotation applied)."""
        if self.orientation in (5, 6, 7, 8):
            return self.original_height, self.original_width
        return self.original_width, self.original_height


def sniff_format(data: bytes) -> str | None:
    """Return the image format from magic bytes, or None when it is not one we read."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in {
        b"heic",
        b"heix",
        b"mif1",
        b"msf1",
        b"heim",
        b"heis",
    }:
        return "heic"
    if data.startswith(b"BM"):
        return "bmp"
    if data[:4] in {b"II*\x00", b"MM\x00*"}:
        return "tiff"
    if data[:6] in {b"GIF87a", b"GIF89a"}:
        return "gif"
    return None


_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_JPEG_STANDALONE = {0xD8, 0x01}


def jpeg_is_complete(data: bytes) -> bool:
    """True when the JPEG's marker structure reaches an end-of-image marker.

    Walks the segments (skipping their declared lengths) and the entropy-coded scans
    (where 0xFF is always stuffed or a restart marker), so bytes appended after the
    image (phone "motion photo" trailers) and embedded EXIF thumbnails do not confuse it.
    """
    pos = 2  # after SOI
    size = len(data)
    while pos < size:
        match = _JPEG_MARKER.search(data, pos)
        if match is None:
            return False
        marker = data[match.start() + 1]
        if marker == 0xD9:
            return True
        if marker in _JPEG_STANDALONE:
            pos = match.start() + 2
            continue
        if match.start() + 4 > size:
            return False
        length = int.from_bytes(data[match.start() + 2 : match.start() + 4], "big")
        pos = match.start() + 2 + length
    return False


def read_image_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a file's bytes, refusing files over ``max_bytes`` before reading them.

    Raises:
        InvalidImage: the path does not exist, is not a file, or cannot be read.
        ImageTooLarge: the file is bigger than ``max_bytes``.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidImage(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise InvalidImage(f"{path}: not a file")
    if size > max_bytes:
        raise ImageTooLarge(f"{path}: {size:,} bytes is over the {max_bytes:,}-byte limit")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidImage(f"{path}: cannot read ({exc.strerror or exc})") from None


def _open_header(data: bytes, media_format: str, max_pixels: int) -> Image.Image:
    """Open the image lazily with Pillow (header only) and enforce the pixel limit."""
    if media_format == "heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            header = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(
            f"image declares too many pixels ({exc}); the limit is {max_pixels:,} pixels"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InvalidImage(f"cannot read the {media_format} header: {exc}") from None
    width, height = header.size
    if width <= 0 or height <= 0:
        raise InvalidImage(f"{media_format} header gives an empty image ({width}x{height})")
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"image is {width:,} x {height:,} pixels, over the {max_pixels:,}-pixel limit"
        )
    return header


def _orientation(header: Image.Image) -> int:
    try:
        value = header.getexif().get(EXIF_ORIENTATION_TAG, 1)
    except (OSError, ValueError, SyntaxError):
        return 1
    return int(value) if isinstance(value, int) and 1 <= value <= 8 else 1


def apply_orientation(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Rotate/flip pixels so that an EXIF-oriented photo stands upright."""
    ops = {
        2: lambda a: cv2.flip(a, 1),
        3: lambda a: cv2.rotate(a, cv2.ROTATE_180),
        4: lambda a: cv2.flip(a, 0),
        5: lambda a: cv2.flip(cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE), 1),
        6: lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE),
        7: lambda a: cv2.flip(cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE), 1),
        8: lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE),
    }
    op = ops.get(orientation)
    return op(pixels) if op else pixels


JPEG_REDUCTIONS = (8, 4, 2)


def jpeg_reduction(width: int, height: int, min_short_side_px: int) -> int:
    """The largest libjpeg reduction (8, 4, 2, else 1) keeping the short side >= the minimum.

    libjpeg rounds a reduced size up (``ceil(side / reduction)``), and so does this.
    """
    if min_short_side_px <= 0:
        return 1
    for reduction in JPEG_REDUCTIONS:
        if min(-(-width // reduction), -(-height // reduction)) >= min_short_side_px:
            return reduction
    return 1


_REDUCED_FLAGS = {
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}


def _to_rgb8(pixels: np.ndarray, from_bgr: bool) -> np.ndarray:
    """Convert any decoded layout (grey, grey+alpha, BGR, BGRA; 8/16-bit/float) to RGB uint8.

    Transparent areas are composited over white, the usual background of product shots.
    The common cases (8-bit BGR, grey) are one ``cv2.cvtColor`` call, without NumPy copies.
    """
    if pixels.dtype == np.uint8 and pixels.ndim == 3 and pixels.shape[2] == 3:
        return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB) if from_bgr else pixels
    if pixels.dtype == np.uint8 and pixels.ndim == 2:
        return cv2.cvtColor(pixels, cv2.COLOR_GRAY2RGB)
    if pixels.dtype == np.uint16:
        pixels = (pixels // 257).astype(np.uint8)
    elif pixels.dtype in (np.float32, np.float64):
        pixels = np.clip(pixels * 255.0, 0, 255).astype(np.uint8)
    elif pixels.dtype != np.uint8:
        raise InvalidImage(f"unsupported pixel type {pixels.dtype}")
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    channels = pixels.shape[2]
    if channels in (2, 4):
        colour, alpha = pixels[:, :, :-1], pixels[:, :, -1:].astype(np.float32) / 255.0
        white = np.full_like(colour, 255)
        pixels = (colour * alpha + white * (1.0 - alpha) + 0.5).astype(np.uint8)
        channels -= 1
    if channels == 1:
        return cv2.cvtColor(np.ascontiguousarray(pixels[:, :, 0]), cv2.COLOR_GRAY2RGB)
    if channels != 3:
        raise InvalidImage(f"unsupported channel count {channels}")
    pixels = np.ascontiguousarray(pixels)
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB) if from_bgr else pixels


def decode_image(
    data: bytes | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    fit: PreprocessConfig | None = None,
) -> DecodedImage:
    """Decode a photo to upright 8-bit RGB.

    Args:
        data: the file's bytes, or a path to read.
        max_bytes: refuse inputs larger than this.
        max_pixels: refuse images whose header declares more pixels than this.
        fit: decode for this model: the working image (short side ``fit.working_short_px``,
            reduced JPEG decoding, one downscale) instead of full size.

    Returns:
        The decoded image and facts about its bytes.

    Raises:
        UnsupportedMediaType: not a JPEG/PNG/WebP/HEIC/BMP/TIFF/GIF.
        InvalidImage: empty, truncated or corrupt.
        ImageTooLarge: over ``max_bytes`` or ``max_pixels``.
    """
    source: Path | bytes | None = None
    if isinstance(data, Path):
        source = data
        data = read_image_file(data, max_bytes)
    elif fit is not None:
        source = data
    if len(data) == 0:
        raise InvalidImage("the file is empty (0 bytes)")
    if len(data) > max_bytes:
        raise ImageTooLarge(f"{len(data):,} bytes is over the {max_bytes:,}-byte limit")
    media_format = sniff_format(data)
    if media_format is None:
        raise UnsupportedMediaType(
            "not an image idtool can read (expected JPEG, PNG, WebP, HEIC, BMP, TIFF or GIF)"
        )
    if media_format == "jpeg" and not jpeg_is_complete(data):
        raise InvalidImage("the JPEG is truncated (no end-of-image marker): re-send the file")
    header = _open_header(data, media_format, max_pixels)
    width, height = header.size
    orientation = _orientation(header)
    pixels: np.ndarray | None
    from_bgr = True
    reduction = 1
    if media_format == "jpeg" and fit is not None:
        reduction = jpeg_reduction(width, height, fit.working_short_px)
    if reduction > 1:
        # 3-channel BGR at 1/reduction scale; EXIF orientation is applied below, as for
        # every other path, so OpenCV must not apply it too.
        flags = _REDUCED_FLAGS[reduction] | cv2.IMREAD_IGNORE_ORIENTATION
        pixels = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags)
    elif media_format in {"heic", "gif"}:
        try:
            frame = header.convert("RGBA" if "A" in header.getbands() else "RGB")
        except (OSError, ValueError) as exc:
            raise InvalidImage(f"cannot decode the {media_format} image: {exc}") from None
        pixels, from_bgr = np.asarray(frame), False
    else:
        buffer = np.frombuffer(data, dtype=np.uint8)
        pixels = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.size == 0:
        raise InvalidImage(f"the {media_format} data is corrupt or truncated and cannot be decoded")
    if pixels.ndim == 3 and pixels.shape[2] in (3, 4) and media_format == "heic":
        from_bgr = False
    rgb = apply_orientation(_to_rgb8(pixels, from_bgr), orientation)
    model_input = None
    if fit is not None:
        rgb = shrink_to_working(rgb, fit)
        # made here, in whichever thread decodes (the batch decode threads), not by the model
        model_input = to_model_input(rgb, fit)
    return DecodedImage(
        rgb=rgb,
        sha256=hashlib.sha256(data).hexdigest(),
        byte_count=len(data),
        media_format=media_format,
        original_width=width,
        original_height=height,
        orientation=orientation,
        jpeg_reduction=reduction,
        fitted_for=fit,
        model_input=model_input,
        source=source if fit is not None else None,
    )


def redecode(image: DecodedImage, fit: PreprocessConfig) -> DecodedImage:
    """Decode ``image`` again from its source, for ``fit`` (e.g. a larger working image).

    The result is the same as decoding the source with ``fit`` in the first place. The
    first decode already applied the byte and pixel limits, so they are not applied again.

    Raises:
        InvalidImage: the image has no source, or its file changed or vanished since.
    """
    if image.source is None:
        raise InvalidImage("the photo was not decoded from a file or bytes it kept")
    limits = {
        "max_bytes": max(DEFAULT_MAX_BYTES, image.byte_count),
        "max_pixels": max(DEFAULT_MAX_PIXELS, image.original_width * image.original_height),
    }
    again = decode_image(image.source, fit=fit, **limits)
    if again.sha256 != image.sha256:
        where = f"{image.source}: " if isinstance(image.source, Path) else ""
        raise InvalidImage(f"{where}the file changed since it was first decoded")
    return again


def _resize_short_side(rgb: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """Resize so the short side is ``config.resize_px`` (either way), keeping the aspect.

    Large downscales go through an area-averaging step first so fine texture does not alias.
    """
    target = config.input_size
    scale_size = config.resize_px
    height, width = rgb.shape[:2]
    scale = scale_size / min(height, width)
    new_w, new_h = max(target, round(width * scale)), max(target, round(height * scale))
    if (new_w, new_h) == (width, height):
        return rgb
    image = rgb
    if scale < 0.5:
        image = cv2.resize(image, (new_w * 2, new_h * 2), interpolation=cv2.INTER_AREA)
    return cv2.resize(image, (new_w, new_h), interpolation=_INTERPOLATIONS[config.interpolation])


def shrink_to_working(rgb: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """The working image: short side shrunk to ``config.working_short_px`` (never enlarged).

    :func:`resize_and_crop` of the result equals :func:`resize_and_crop` of ``rgb``.
    """
    if min(rgb.shape[:2]) <= config.working_short_px:
        return rgb
    if config.working_short_px > config.resize_px:
        h, w = rgb.shape[:2]
        scale = config.working_short_px / min(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return _resize_short_side(rgb, config)


def resize_and_crop(rgb: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """Resize the short side to ``input_size / crop_pct`` and take the centre square.

    Large downscales go through an area-averaging step first so fine texture does not alias.
    A working image (:func:`shrink_to_working`) is only cropped.
    """
    target = config.input_size
    image = _resize_short_side(rgb, config)
    new_h, new_w = image.shape[:2]
    top, left = (new_h - target) // 2, (new_w - target) // 2
    return image[top : top + target, left : left + target]


def normalize(crop: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """uint8 H x W x 3 RGB -> float32 3 x H x W, normalised with the bundle's mean/std."""
    mean = np.asarray(config.mean, dtype=np.float32) * 255.0
    inv_std = 1.0 / (np.asarray(config.std, dtype=np.float32) * 255.0)
    scaled = (crop.astype(np.float32) - mean) * inv_std
    return np.ascontiguousarray(scaled.transpose(2, 0, 1))


def to_model_input(rgb: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """Decoded RGB -> the float32 CHW tensor the backbone expects."""
    return normalize(resize_and_crop(rgb, config), config)
