"""Forensic aids: ``idtool schreger`` and ``idtool quality``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
import numpy as np

from idtool.cli.common import echo_err, echo_json, format_option, lang_option, settings_from
from idtool.errors import BadField, IdtoolError, NotFound
from idtool.forensics.quality import assess_quality
from idtool.forensics.schreger import measure_schreger, read_points
from idtool.i18n import gettext as _
from idtool.i18n.vocabulary import quality_text, schreger_text
from idtool.model.preprocess import decode_image


def _read_rgb(ctx: click.Context, path: Path) -> np.ndarray:
    """Decode an image file to upright uint8 RGB with the settings' size limits."""
    settings = settings_from(ctx)
    decoded = decode_image(
        path, max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels
    )
    return decoded.rgb


def _default_out(image: Path) -> Path:
    name = f"{image.stem}.schreger.png"
    folder = image.resolve().parent
    if os.access(folder, os.W_OK):
        return folder / name
    return Path.cwd() / name


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _print_schreger_table(image: Path, result: Any) -> None:
    angles = _("n={n}  mean={mean}  sd={sd}  min={min}  max={max} (deg)").format(
        n=result.n,
        mean=_fmt(result.mean_deg),
        sd=_fmt(result.sd_deg),
        min=_fmt(result.min_deg),
        max=_fmt(result.max_deg),
    )
    classification = _("{classification} (indicative)").format(
        classification=schreger_text(result.classification)
    )
    rows = [
        (_("image"), str(image)),
        (_("method"), result.method),
        (_("angles"), angles),
        (_("classification"), classification),
        (_("reason"), result.reason),
        (_("rule"), result.rule),
        (_("reference"), result.reference),
        *((_("warning"), note) for note in result.warnings),
    ]
    if result.annotated_image_path is not None:
        rows.append((_("annotated image"), str(result.annotated_image_path)))
    rows.append((_("note"), result.disclaimer))
    width = max(len(label) for label, _value in rows) + 1
    for label, value in rows:
        click.echo(f"{label:<{width}} {value}")


@click.command("schreger")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--points",
    "points_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Manual mode: JSON [{vertex:[x,y], a:[x,y], b:[x,y]}...] or CSV vx,vy,ax,ay,bx,by.",
)
@click.option("--auto", "auto", is_flag=True, help="Automatic mode (the default without --points).")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Annotated PNG (default: <image stem>.schreger.png next to the image).",
)
@format_option
@lang_option
@click.pass_context
def schreger_cmd(
    ctx: click.Context,
    image: Path,
    points_path: Path | None,
    auto: bool,
    out_path: Path | None,
    output_format: str,
) -> None:
    """Measure Schreger angles on an ivory cross-section and apply the Espinoza & Mann rule.

    Outer angles (near the cementum edge, opening along the radius) under 90 deg point to
    mammoth, over 115 deg to elephant; between is indeterminate. Fewer than 5 angles, or
    no pattern found, is refused. The result is an indication for a laboratory, not a
    verdict.

    Example:

        idtool schreger section.jpg --auto

        idtool schreger section.jpg --points taps.csv --format json
    """
    if points_path is not None and auto:
        raise BadField("use either --points (manual mode) or --auto, not both")
    rgb = _read_rgb(ctx, image)
    triples = read_points(points_path) if points_path is not None else None
    out = out_path if out_path is not None else _default_out(image)
    result = measure_schreger(rgb, triples=triples, annotated_path=out)
    if output_format == "json":
        echo_json({"image": str(image), "schreger": result.to_dict()})
    else:
        _print_schreger_table(image, result)


@click.command("quality")
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@format_option
@lang_option
@click.pass_context
def quality_cmd(ctx: click.Context, images: tuple[Path, ...], output_format: str) -> None:
    """Check photos for sharpness, exposure, resolution and object size in the frame.

    A photo that warns would lower an identification to 'uncertain'; the advice says
    how to retake it. Unreadable files get an error line and the run goes on.

    Example:

        idtool quality photo1.jpg photo2.jpg --format json
    """
    succeeded = 0
    for image in images:
        try:
            if not image.is_file():
                raise NotFound(f"{image} does not exist or is not a file")
            report = assess_quality(_read_rgb(ctx, image))
        except IdtoolError as exc:
            if output_format == "json":
                echo_json({"image": str(image), "quality": None, "error": exc.to_dict()})
            else:
                echo_err(f"error [{exc.code}]: {image}: {exc.message}")
            continue
        succeeded += 1
        if output_format == "json":
            echo_json({"image": str(image), "quality": report.to_dict(), "error": None})
            continue
        verdict = quality_text(report.verdict)
        click.echo(f"{image}: {verdict} ({report.width_px}x{report.height_px} px)")
        for c in report.checks:
            advice = f"  {c.advice}" if c.advice else ""
            click.echo(
                f"  {c.name:<20} {quality_text(c.verdict):<9} value={c.value:.3f} "
                f"threshold={c.threshold:g}{advice}"
            )
    if succeeded == 0:
        ctx.exit(1)


def register(group: click.Group) -> None:
    """Attach ``schreger`` and ``quality`` to the root group."""
    group.add_command(schreger_cmd)
    group.add_command(quality_cmd)
