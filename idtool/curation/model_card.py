"""Model cards: what a trained bundle was fitted on and how well it did."""

from __future__ import annotations

import datetime as dt
from typing import Any

from idtool.curation.training import TrainingSet, TrainResult
from idtool.model.bundle import ModelBundle


def render_model_card(
    base: ModelBundle, version: str, result: TrainResult, data: TrainingSet
) -> str:
    m = result.metrics
    t = result.thresholds
    classes = "\n".join(f"- {c}: {data.labels.count(c)} photos" for c in data.classes)
    curve = "\n".join(
        f"| {p['min_confidence']:.2f} | {p['coverage']:.3f} | {p['selective_accuracy']:.3f} |"
        for p in result.curve
    )
    return f"""# Model card: {base.name}-{version}

- Date: {dt.datetime.now(dt.UTC).date().isoformat()}
- Backbone: `{base.architecture}` ({base.meta.get("source")}), frozen; embedding version
  `{base.embedding_version}`.
- Head: multinomial logistic regression (C={m["c"]}, class weights {m.get("class_weight", "none")}) on L2-normalised embeddings of each photo,
  its mirror image and {data.views.shape[1] - 2} random crops; seed {m["seed"]}; softmax temperature {result.head.temperature}.
- Texture view: {_texture_line(data)}
- Look-alike margin: {m.get("lookalike_margin", 0.0)} subtracted from the look-alike classes'
  logits (fitted out of fold, so that listed material is rarely topped by a look-alike).
- Data: reference version `{data.reference_version}`, {m["images"]} photos in {m["classes"]} classes:
{classes}

## Cross-validated metrics ({m["folds"]} folds, {m["grouping"]})

| metric | value |
|---|---|
| top-1 accuracy | {m["top1_accuracy"]} |
| top-3 accuracy | {m["top3_accuracy"]} |
| expected calibration error (after / before temperature) | {m["ece"]} / {m["ece_uncalibrated"]} |
| identified share at the chosen threshold | {m["coverage"]} |
| selective accuracy at the chosen threshold (roll-up counts if the rank is right) | {m["selective_accuracy"]} |
| target selective accuracy met | {m["target_met"]} |
| worst class (selective accuracy @ coverage, per-class thresholds) | {m.get("worst_class")} |

Thresholds: `min_confidence` {t.min_confidence}, `min_similarity` {t.min_similarity}
(the {int(0.02 * 100)}th percentile of held-out photos' similarity to their nearest reference);
per class {t.per_class or "none"}; never called: {", ".join(t.abstain) or "none"}.

| min_confidence | identified share | selective accuracy |
|---|---|---|
{curve}

Out-of-fold confusion matrix (top-1; rows: the true class, columns: the top candidate;
`metrics.confusion` in `model.json`):

{_confusion_table(m.get("confusion"))}

## Known failure cases

- Look-alike species (the three *Naja* cobras, the two *Phelsuma* geckos) are confused; the
  decision rule then rolls up to the genus rather than guess the species.
- Elephant ivory, walrus ivory and bone are told apart from museum photos by the catalogue's
  material, not by forensic examination; walrus ivory (the rarest class) is most often
  missed, and old black-and-white plates give few usable surface tiles.
- Look-alikes: only the classes marked `is_lookalike` in the reference set (the shipped set:
  glazed and unglazed ceramics) were seen. Resin and plastic imitations, bone sold as ivory,
  hippo and warthog teeth, tagua (vegetable ivory) and antler were not: they may be called
  ivory or bone. The material triage checks (weight, glaze, UV, Schreger angles) decide.
- The reference photos are live animals and museum objects, not seized products (skins,
  leather, powders): expect far lower accuracy on those. Visual identification is probable
  cause, not proof.
"""


def _confusion_table(confusion: dict[str, Any] | None) -> str:
    if not confusion:
        return "(not recorded)"
    labels = confusion["labels"]
    head = "| true \\ top-1 | " + " | ".join(labels) + " |"
    rule = "|---" * (len(labels) + 1) + "|"
    rows = [
        f"| {label} | " + " | ".join(str(n) for n in row) + " |"
        for label, row in zip(labels, confusion["matrix"], strict=True)
    ]
    return "\n".join([head, rule, *rows])


def _texture_line(data: TrainingSet) -> str:
    if data.texture is None:
        return "none (whole photo only)."
    tiles = data.texture.tiles
    count = 0 if data.tiles is None else len(data.tiles)
    return (
        f"the head reads the whole-photo embedding beside the pooled embedding of up to "
        f"{tiles.count} full-resolution surface tiles (side {tiles.side_fraction:.0%} of the "
        f"object's short side, background and highlights skipped); {count} tiles from "
        f"{len(data.labels)} photos."
    )
