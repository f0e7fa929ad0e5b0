"""Photos decoded at the model's size first, and again for tiles only where tiles may be
read, get the same answers as photos decoded for tiles from the start."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from support import EXAMPLES, PROJECT_ROOT, shipped_photo

from idtool.config import load_settings
from idtool.decide.identify import Identifier
from idtool.decide.service import IdentificationService
from idtool.errors import InvalidImage
from idtool.model.bundle import ModelBundle
from idtool.model.preprocess import decode_image, redecode

sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
from decode_parity import compare_paths
from photo_sets import phone_jpeg

SCORE_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def identifier(core_home: Path) -> Iterator[Identifier]:
    runtime = IdentificationService.open(load_settings(home=core_home), "torch")
    try:
        found = runtime.identifier()
        assert found.texture is not None and found.use_head  # the shipped texture head
        yield found
    finally:
        runtime.close()


def test_first_decode_is_at_the_models_size(identifier: Identifier) -> None:
    assert identifier.decode_config.working_short_px == identifier.bundle.preprocess.resize_px
    assert (
        identifier.tile_decode_config.working_short_px > identifier.decode_config.working_short_px
    )


def test_shipped_photos_answer_as_when_decoded_for_tiles(
    identifier: Identifier, tmp_path: Path
) -> None:
    photos = [
        shipped_photo("material_ivory", 0),
        shipped_photo("material_bone", 1),
        shipped_photo("material_walrus_ivory", 2),
        shipped_photo("material_ceramic", 0),
        shipped_photo("Scleractinia", 0),
    ]
    # a 12 MP phone photo (EXIF-rotated) is decoded with libjpeg's reductions both ways
    rgb = cv2.cvtColor(cv2.imread(str(photos[0])), cv2.COLOR_BGR2RGB)
    phone = tmp_path / "phone.jpg"
    phone.write_bytes(phone_jpeg(rgb, seed=1, orientation=6))
    # and one that is not in the reference set (its tiles are never read)
    card = np.zeros((600, 800, 3), np.uint8)
    card[:, :400] = (200, 30, 30)
    cv2.imwrite(str(tmp_path / "card.jpg"), card)
    report = compare_paths(identifier, [*photos, phone, tmp_path / "card.jpg"])
    assert report.photos == 7
    assert report.decisions_differ == []
    assert report.tiles_read >= 4
    assert report.max_score_diff_tiles <= SCORE_TOLERANCE
    assert report.max_score_diff_identified <= SCORE_TOLERANCE


def test_only_photos_that_may_read_tiles_are_decoded_again(
    identifier: Identifier, tmp_path: Path
) -> None:
    card = np.zeros((600, 800, 3), np.uint8)
    card[:, :400] = (0, 255, 0)
    cv2.imwrite(str(tmp_path / "card.jpg"), card)
    images = [
        decode_image(path, fit=identifier.decode_config)
        for path in (EXAMPLES / "ivory_1.jpg", tmp_path / "card.jpg")
    ]
    embeddings = identifier.embed(images)
    similarities = [identifier.nearest(e)[0].similarity for e in embeddings]
    again = identifier.refit_for_tiles(images, embeddings, similarities)
    assert list(again) == [0]
    tile_px = identifier.tile_decode_config.working_short_px
    assert not images[0].keeps_working_px(tile_px) and again[0].keeps_working_px(tile_px)
    assert again[0].sha256 == images[0].sha256


def test_a_photo_changed_on_disk_is_not_decoded_again(
    tmp_path: Path, shipped_bundle: ModelBundle
) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes((EXAMPLES / "ivory_1.jpg").read_bytes())
    image = decode_image(photo, fit=shipped_bundle.preprocess)
    assert image.source == photo
    photo.write_bytes((EXAMPLES / "bone_1.jpg").read_bytes())
    with pytest.raises(InvalidImage, match="changed"):
        redecode(image, shipped_bundle.preprocess)


def test_a_decode_from_bytes_keeps_them_for_a_second_decode(shipped_bundle: ModelBundle) -> None:
    data = (EXAMPLES / "ivory_1.jpg").read_bytes()
    fit = shipped_bundle.preprocess
    image = decode_image(data, fit=fit)
    assert image.source is data
    assert decode_image(data).source is None  # a full decode keeps nothing
    bigger = redecode(image, replace(fit, working_px=2 * fit.working_short_px))
    assert min(bigger.rgb.shape[:2]) > min(image.rgb.shape[:2])
    assert bigger.sha256 == image.sha256
