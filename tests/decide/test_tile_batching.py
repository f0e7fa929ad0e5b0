"""A texture head's tiles: embedded for many photos at once, and skipped where they cannot
change the answer, without changing any answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from support import EXAMPLES

from idtool.config import load_settings
from idtool.decide import identify
from idtool.decide.identify import Identifier
from idtool.decide.service import IdentificationService
from idtool.decide.texture import embed_tiles, embed_tiles_of_photos
from idtool.model.preprocess import DecodedImage, decode_image

MATERIAL_PHOTOS = ("ivory_1.jpg", "bone_1.jpg", "walrus_ivory_1.jpg", "ceramic_1.jpg")


@pytest.fixture(scope="module")
def identifier(core_home: Path) -> Iterator[Identifier]:
    service = IdentificationService.open(load_settings(home=core_home), "torch")
    try:
        found = service.identifier()
        assert found.texture is not None and found.use_head  # the shipped texture head
        yield found
    finally:
        service.close()


def _decoded(identifier: Identifier, names: tuple[str, ...]) -> list[DecodedImage]:
    return [decode_image(EXAMPLES / name, fit=identifier.decode_config) for name in names]


def _unlike_anything(tmp_path: Path, identifier: Identifier) -> DecodedImage:
    """A photo of nothing in the reference set (a coloured test card)."""
    card = np.zeros((600, 800, 3), np.uint8)
    for i, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]):
        card[:, i * 200 : (i + 1) * 200] = colour
    path = tmp_path / "card.jpg"
    cv2.imwrite(str(path), card)
    return decode_image(path, fit=identifier.decode_config)


def test_tiles_of_many_photos_equal_each_photo_alone(identifier: Identifier) -> None:
    images = _decoded(identifier, MATERIAL_PHOTOS)
    together = embed_tiles_of_photos(
        [image.rgb for image in images],
        identifier.texture,  # type: ignore[arg-type]
        identifier.bundle.preprocess,
        identifier.engine,
        max_batch=5,  # several runtime calls, a photo's tiles split across two
    )
    assert sum(len(t) for t in together) > 5
    for image, batched in zip(images, together, strict=True):
        alone = embed_tiles(
            image.rgb,
            identifier.texture,  # type: ignore[arg-type]
            identifier.bundle.preprocess,
            identifier.engine,
        )
        assert batched.shape == alone.shape
        assert np.allclose(batched, alone, atol=1e-4)


def test_a_batch_answers_as_each_photo_alone(identifier: Identifier, tmp_path: Path) -> None:
    images = [*_decoded(identifier, MATERIAL_PHOTOS), _unlike_anything(tmp_path, identifier)]
    names = [f"p{i}" for i in range(len(images))]
    together = identifier.score_decoded(images, names)
    for image, name, (result, scores) in zip(images, names, together, strict=True):
        [(alone, alone_scores)] = identifier.score_decoded([image], [name])
        assert (result.decision, result.label, result.decision_source) == (
            alone.decision,
            alone.label,
            alone.decision_source,
        )
        assert np.allclose(scores.probabilities, alone_scores.probabilities, atol=1e-4)
    # materials read their tiles unless the answer is already "not in the reference set"
    threshold = identifier.thresholds.min_similarity
    for result, _ in together:
        assert result.nearest_similarity is not None
        in_reference = result.nearest_similarity >= threshold
        assert result.decision_source.startswith("head+tiles") == in_reference
    assert sum(result.decision_source.startswith("head+tiles") for result, _ in together) >= 2


def test_tiles_are_skipped_when_the_answer_is_not_in_reference(
    identifier: Identifier, tmp_path: Path
) -> None:
    card = _unlike_anything(tmp_path, identifier)
    [(result, _)] = identifier.score_decoded([card], ["card"])
    assert result.nearest_similarity is not None
    assert result.nearest_similarity < identifier.thresholds.min_similarity
    assert result.decision.value == "not_in_reference"
    assert result.decision_source == "head+whole_only+open_set"


def test_tiles_are_skipped_when_no_material_is_in_play(
    identifier: Identifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    images = _decoded(identifier, ("coral_1.jpg", "ivory_1.jpg"))
    with_tiles = identifier.score_decoded(images, ["coral", "ivory"])
    # a catalog whose head has no material class: nothing is worth six tile embeddings
    monkeypatch.setattr(identify, "texture_classes", lambda classes, taxa: set())
    calls: list[int] = []
    real = identify.embed_tiles_of_photos
    monkeypatch.setattr(
        identify,
        "embed_tiles_of_photos",
        lambda photos, *rest, **kw: calls.append(len(photos)) or real(photos, *rest, **kw),
    )
    without = identifier.score_decoded(images, ["coral", "ivory"])
    assert calls == []
    assert all(r.decision_source.startswith("head+whole_only") for r, _ in without)
    # the whole-photo view alone still gives an answer of the same kind for the coral
    assert without[0][0].candidates[0].label == with_tiles[0][0].candidates[0].label
