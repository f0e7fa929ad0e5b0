"""``idtool export onnx``: write the embedding model to ONNX beside the bundle."""

from __future__ import annotations

from pathlib import Path

import click

from idtool.cli.common import echo_err, model_option, settings_from


@click.group("export")
def export_group() -> None:
    """Export the embedding model for faster inference."""


@export_group.command("onnx")
@model_option
@click.option(
    "--int8/--no-int8",
    default=True,
    show_default=True,
    help="Also write an int8 model if its embeddings stay within cosine 0.99 of fp32.",
)
@click.option(
    "--calibration",
    "calibration_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Folder of <class>/<photo> to check and calibrate on (default: reference_images/).",
)
@click.pass_context
def export_onnx_command(
    ctx: click.Context, model_dir: Path | None, int8: bool, calibration_dir: Path | None
) -> None:
    """Write <bundle>/onnx/model.onnx (and model.int8.onnx), checked against PyTorch.

    The fp32 model must match PyTorch within 1e-4 on real photos or nothing is
    written. The int8 model is written only if every held-out photo's embedding
    stays within cosine 0.99 of fp32. Each file gets a JSON sidecar with the
    bundle's model.json, its SHA-256 and the figures measured here; identify and
    serve then use ONNX Runtime automatically (--runtime torch to opt out).

    Example:

        idtool export onnx --model models/idtool-lite0-1.2.0
    """
    from idtool.errors import BadField
    from idtool.model.bundle import load_bundle
    from idtool.model.discovery import resolve_bundle_dir
    from idtool.model.onnx_export import IMAGE_SUFFIXES, export_onnx, read_sidecar

    settings = settings_from(ctx, model_dir=model_dir)
    bundle = load_bundle(resolve_bundle_dir(settings))
    photos = None
    if calibration_dir is not None:
        photos = sorted(
            p
            for p in calibration_dir.glob("*/*")
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not photos:
            raise BadField(f"no photos in {calibration_dir}/<class>/: expected JPEG/PNG files")
    echo_err(f"exporting {bundle.version} from {bundle.path} ...")
    written = export_onnx(bundle, int8=int8, calibration_images=photos)
    for path in written:
        info = read_sidecar(path)
        parity = info.get("parity", {})
        if info["variant"] == "fp32":
            figures = (
                f"max abs diff vs torch {parity['max_abs_diff_vs_torch']:.1e} "
                f"on {parity['inputs']} {parity['inputs_kind']}"
            )
        else:
            figures = (
                f"cosine vs fp32 min {parity['min_cosine_vs_fp32']:.4f} "
                f"mean {parity['mean_cosine_vs_fp32']:.4f} "
                f"on {parity['held_out_photos']} held-out photos "
                f"({info['quantization']['recipe']})"
            )
        click.echo(f"{info['variant']}\t{path}\t{figures}")
    if int8 and len(written) == 1:
        echo_err("int8 model not written: it was not accurate enough (see the warning above)")


def register(group: click.Group) -> None:
    """Attach the ``export`` group to the root group."""
    group.add_command(export_group)
