from __future__ import annotations

import functools
import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from support import shipped_photo

from idtool.errors import ImageTooLarge, InvalidImage, UnsupportedMediaType
from idtool.model.preprocess import (
    PreprocessConfig,
    decode_image,
    jpeg_is_complete,
    jpeg_reduction,
    resize_and_crop,
    shrink_to_working,
    sniff_format,
    to_model_input,
)

CONFIG = PreprocessConfig(
    input_size=224, interpolation="bicubic", crop_pct=0.875, mean=(0.5,) * 3, std=(0.5,) * 3
)


def _jpeg(array: np.ndarray, orientation: int | None = None) -> bytes:
    image = Image.fromarray(array)
    buffer = io.BytesIO()
    if orientation is None:
        image.save(buffer, "JPEG", quality=95)
    else:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    return buffer.getvalue()


def _marker_image() -> np.ndarray:
    """60 x 40 (w x h) with a red block in the top-left corner, the rest blue."""
    array = np.zeros((40, 60, 3), dtype=np.uint8)
    array[:, :] = (0, 0, 255)
    array[:10, :10] = (255, 0, 0)
    return array


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (a pixel bomb), with one tiny IDAT."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("orientation", "shape", "red_corner"),
    [
        (1, (40, 60), (0, 0)),
        (6, (60, 40), (0, 39)),
        (3, (40, 60), (39, 59)),
        (8, (60, 40), (59, 0)),
    ],
)
def test_exif_orientation_is_applied(
    orientation: int, shape: tuple[int, int], red_corner: tuple[int, int]
) -> None:
    decoded = decode_image(_jpeg(_marker_image(), orientation))
    assert decoded.rgb.shape[:2] == shape
    assert decoded.orientation == orientation
    y, x = red_corner
    r, _g, b = decoded.rgb[y, x].astype(int)
    assert r > 180 and b < 80


def test_sixteen_bit_greyscale_and_alpha_png() -> None:
    grey16 = (np.linspace(0, 65535, 50 * 30).reshape(30, 50)).astype(np.uint16)
    _ok, data = cv2.imencode(".png", grey16)
    decoded = decode_image(data.tobytes())
    assert decoded.rgb.dtype == np.uint8 and decoded.rgb.shape == (30, 50, 3)
    assert decoded.rgb[-1, -1, 0] == 255 and decoded.rgb[0, 0, 0] == 0
    rgba = np.zeros((20, 20, 4), dtype=np.uint8)
    rgba[..., 2] = 255  # red in BGR(A) order
    rgba[:, :10, 3] = 255  # left half opaque, right half transparent
    _ok, data = cv2.imencode(".png", rgba)
    decoded = decode_image(data.tobytes())
    assert tuple(decoded.rgb[5, 2]) == (255, 0, 0)
    assert tuple(decoded.rgb[5, 15]) == (255, 255, 255)  # transparent composited on white


def test_webp_and_grey_jpeg_decode() -> None:
    rgb = _marker_image()
    _ok, webp = cv2.imencode(".webp", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert sniff_format(webp.tobytes()) == "webp"
    assert decode_image(webp.tobytes()).rgb.shape == (40, 60, 3)
    _ok, grey = cv2.imencode(".jpg", np.full((16, 16), 128, dtype=np.uint8))
    assert decode_image(grey.tobytes()).rgb.shape == (16, 16, 3)


def test_heic_decodes_when_an_encoder_is_available() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    try:
        Image.fromarray(_marker_image()).save(buffer, "HEIF", quality=90)
    except (OSError, KeyError, ValueError) as exc:
        pytest.skip(f"this libheif has no HEIC encoder to make a test file: {exc}")
    decoded = decode_image(buffer.getvalue())
    assert decoded.media_format == "heic"
    assert decoded.rgb.shape == (40, 60, 3)


def test_real_photo_to_model_input() -> None:
    decoded = decode_image(shipped_photo("material_ivory"))
    tensor = to_model_input(decoded.rgb, CONFIG)
    assert tensor.shape == (3, 224, 224) and tensor.dtype == np.float32
    assert tensor.min() >= -1.0 and tensor.max() <= 1.0
    assert len(decoded.sha256) == 64


def test_resize_and_crop_handles_extreme_aspect_ratios() -> None:
    assert resize_and_crop(np.zeros((10, 3000, 3), dtype=np.uint8), CONFIG).shape == (224, 224, 3)
    assert resize_and_crop(np.zeros((4000, 3000, 3), dtype=np.uint8), CONFIG).shape == (224, 224, 3)


def test_truncated_jpeg_is_invalid() -> None:
    data = shipped_photo("Scleractinia").read_bytes()
    assert jpeg_is_complete(data)
    with pytest.raises(InvalidImage, match="truncated"):
        decode_image(data[: len(data) // 2])


def test_bytes_after_the_jpeg_end_are_accepted() -> None:
    data = shipped_photo("Scleractinia").read_bytes() + b"\x00\x00ftypmp42 trailing motion photo"
    assert decode_image(data).media_format == "jpeg"


def test_zero_bytes_text_and_corrupt_png() -> None:
    with pytest.raises(InvalidImage, match="empty"):
        decode_image(b"")
    with pytest.raises(UnsupportedMediaType):
        decode_image(b"this is a text file renamed to .jpg\n")
    _ok, png = cv2.imencode(".png", np.zeros((64, 64, 3), dtype=np.uint8))
    with pytest.raises(InvalidImage):
        decode_image(png.tobytes()[:80])


def test_pixel_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(ImageTooLarge, match="pixel"):
        decode_image(png_header_only(20_000, 20_000))
    with pytest.raises(ImageTooLarge, match="9,000 x 8,000 pixels"):
        decode_image(png_header_only(9_000, 8_000))


def test_byte_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(shipped_photo("Scleractinia").read_bytes())
    with pytest.raises(ImageTooLarge, match="byte limit"):
        decode_image(path, max_bytes=1000)
    with pytest.raises(InvalidImage, match="cannot read"):
        decode_image(tmp_path / "missing.jpg")


@functools.lru_cache(maxsize=2)
def phone_photo_jpeg(orientation: int = 1) -> bytes:
    """A real-size 12 MP (4,032 x 3,024) JPEG made from a shipped photo, with a red block
    in the top-left corner of the upright picture; stored rotated when ``orientation`` is 6.
    """
    small = cv2.cvtColor(cv2.imread(str(shipped_photo("Scleractinia"))), cv2.COLOR_BGR2RGB)
    big = cv2.resize(small, (4032, 3024), interpolation=cv2.INTER_CUBIC)
    noise = np.random.default_rng(0).normal(0, 3, big.shape)
    big = np.clip(big + noise, 0, 255).astype(np.uint8)
    big[:400, :400] = (255, 0, 0)
    if orientation == 6:
        big = np.ascontiguousarray(cv2.rotate(big, cv2.ROTATE_90_COUNTERCLOCKWISE))
    return _jpeg(big, orientation)


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [(4032, 3024, 8), (3024, 4032, 8), (2048, 1536, 4), (1280, 960, 2), (1024, 512, 2)],
)
def test_jpeg_reduction_keeps_the_short_side(width: int, height: int, expected: int) -> None:
    assert jpeg_reduction(width, height, CONFIG.resize_px) == expected
    assert -(-min(width, height) // expected) >= CONFIG.resize_px


def test_small_photos_are_not_reduced() -> None:
    assert jpeg_reduction(640, 480, CONFIG.resize_px) == 1
    assert jpeg_reduction(1000, 500, CONFIG.resize_px) == 1
    assert jpeg_reduction(4032, 3024, 0) == 1


@pytest.mark.parametrize("orientation", [1, 6])
def test_phone_photo_decodes_reduced_upright_with_its_original_size(orientation: int) -> None:
    data = phone_photo_jpeg(orientation)
    decoded = decode_image(data, fit=CONFIG)
    assert decoded.jpeg_reduction == 8
    assert (decoded.original_width, decoded.original_height) == (
        (4032, 3024) if orientation == 1 else (3024, 4032)
    )
    assert decoded.original_size_px == (4032, 3024)  # upright, whatever the storage
    assert decoded.rgb.shape == (256, 341, 3)  # the working image: short side resize_px
    r, _g, b = decoded.rgb[8, 8].astype(int)  # the red block is top-left once upright
    assert r > 180 and b < 80
    r, _g, b = decoded.rgb[-8, -8].astype(int)
    assert not (r > 180 and b < 80)


def test_working_image_model_input_matches_the_full_decode() -> None:
    data = phone_photo_jpeg()
    full = to_model_input(decode_image(data).rgb, CONFIG)
    working = decode_image(data, fit=CONFIG)
    reduced = to_model_input(working.rgb, CONFIG)
    assert reduced.shape == full.shape == (3, 224, 224)
    # same picture: values in -1..1, mean absolute difference a few grey levels at most
    assert float(np.abs(reduced - full).mean()) < 0.03
    assert working.sha256 == decode_image(data).sha256


def test_shrink_to_working_then_crop_equals_crop_of_the_full_image() -> None:
    rng = np.random.default_rng(1)
    rgb = cv2.resize(
        rng.integers(0, 255, (60, 80, 3), dtype=np.uint8), (800, 600), interpolation=cv2.INTER_CUBIC
    )
    working = shrink_to_working(rgb, CONFIG)
    assert min(working.shape[:2]) == CONFIG.resize_px
    np.testing.assert_array_equal(resize_and_crop(working, CONFIG), resize_and_crop(rgb, CONFIG))
    small = rgb[:200, :300]
    assert shrink_to_working(small, CONFIG) is small  # never enlarged


def test_png_is_shrunk_without_jpeg_reduction() -> None:
    _ok, png = cv2.imencode(".png", np.full((900, 1200, 3), 90, dtype=np.uint8))
    decoded = decode_image(png.tobytes(), fit=CONFIG)
    assert decoded.jpeg_reduction == 1
    assert decoded.rgb.shape == (256, 341, 3)
    assert decoded.original_size_px == (1200, 900)


def test_grey_phone_jpeg_decodes_reduced_to_rgb() -> None:
    grey = cv2.resize(
        np.random.default_rng(2).integers(0, 255, (30, 40), dtype=np.uint8), (4032, 3024)
    )
    _ok, data = cv2.imencode(".jpg", grey)
    decoded = decode_image(data.tobytes(), fit=CONFIG)
    assert decoded.jpeg_reduction == 8
    assert decoded.rgb.shape == (256, 341, 3)
    assert np.array_equal(decoded.rgb[..., 0], decoded.rgb[..., 2])
