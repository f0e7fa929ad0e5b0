"""``idtool update keygen|publish|apply|rollback|status``: parse, call, format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from idtool.cli.common import (
    catalog_option,
    echo_err,
    echo_json,
    format_option,
    settings_from,
)


def release_notes(catalog: Any, model_version: str, summary_path: Path | None) -> dict[str, Any]:
    """The evaluation summary a package's release notes quote (newest matching run)."""
    from idtool.curation.evaluation_report import read_summary

    if summary_path is not None:
        summary = read_summary(summary_path)
    else:
        rows = list(
            catalog.db.query(
                "select summary from evaluations where model_version = ? and reference_version = ?"
                " order by id desc limit 1",
                [model_version, catalog.reference_version()],
            )
        )
        if not rows:
            return {"evaluation": None}
        summary = json.loads(rows[0]["summary"])
    keep = ("model_version", "reference_version", "created", "folds", "images", "classes")
    notes = {k: summary.get(k) for k in keep}
    notes["metrics"] = summary.get("metrics")
    notes["per_class"] = summary.get("per_class")
    notes["provenance"] = summary.get("provenance")
    return {"evaluation": notes}


@click.group("update")
def update_group() -> None:
    """Signed updates (model, reference set, listings) from a curator to the posts."""


@update_group.command("keygen")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for idtool-update.key (keep secret) and idtool-update.pub (give to posts).",
)
@format_option
def keygen(out: Path, output_format: str) -> None:
    """Create the Ed25519 key pair that signs update packages.

    Example:

        idtool update keygen --out ~/idtool-keys
    """
    from idtool.learn.update_keys import generate_keys

    pair = generate_keys(out)
    if output_format == "json":
        echo_json(pair.to_dict())
        return
    click.echo(f"private key (keep it secret): {pair.private_path}")
    click.echo(f"public key (install on every post): {pair.public_path}")
    click.echo(f"key id {pair.key_id}")


@update_group.command("publish")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Package file."
)
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The private key (idtool-update.key).",
)
@click.option(
    "--bundle",
    "bundle_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Model bundle to ship (default: the one in use).",
)
@click.option("--listings", is_flag=True, help="Include the imported CITES / EU listing sets.")
@click.option("--version", "version", default=None, help="Package version (default: date-based).")
@click.option("--replaces", default=None, help="Version this one replaces (default: installed).")
@click.option(
    "--evaluation",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="summary.json for the release notes (default: the newest stored evaluation).",
)
@catalog_option
@format_option
@click.pass_context
def publish(
    ctx: click.Context,
    out: Path,
    key_path: Path,
    bundle_dir: Path | None,
    listings: bool,
    version: str | None,
    replaces: str | None,
    evaluation: Path | None,
    catalog_path: Path | None,
    output_format: str,
) -> None:
    """Write one signed package: model bundle, reference embeddings, listing sets.

    The manifest lists every file with its SHA-256, the version it replaces and the
    release notes (the evaluation summary); the signature covers the manifest. Photos
    are not included.

    Example:

        idtool update publish --out update-2026.12.07.pkg --key ~/idtool-keys/idtool-update.key --listings
    """
    from idtool.catalog.store import Catalog
    from idtool.learn.update_install import read_installed
    from idtool.learn.update_package import publish_package
    from idtool.model.bundle import load_bundle
    from idtool.model.discovery import resolve_bundle_dir

    settings = settings_from(ctx, catalog_path=catalog_path, model_dir=bundle_dir)
    bundle = load_bundle(resolve_bundle_dir(settings))
    installed = read_installed(settings)
    catalog = Catalog.open(settings.catalog_path)
    try:
        manifest = publish_package(
            out,
            private_key=key_path,
            bundle=bundle,
            catalog=catalog,
            version=version,
            replaces=replaces or (installed.version if installed else None),
            include_listings=listings,
            release_notes=release_notes(catalog, bundle.version, evaluation),
        )
    finally:
        catalog.close()
    if output_format == "json":
        echo_json({"package": str(out), **manifest.summary()})
        return
    ref = manifest.body["reference"]
    click.echo(f"wrote {out}: update {manifest.version} (replaces {manifest.body['replaces']})")
    click.echo(
        f"model {bundle.name} {bundle.version}, reference {ref['reference_version']} "
        f"({ref['images']} images, {len(ref['classes'])} classes), "
        f"{len(manifest.files)} files signed with key {manifest.body['key_id']}"
    )


@update_group.command("apply")
@click.argument("package", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--trust",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The curator's public key (idtool-update.pub).",
)
@click.option("--allow-older", is_flag=True, help="Install even if older than the installed one.")
@format_option
@click.pass_context
def apply(
    ctx: click.Context, package: Path, trust: Path, allow_older: bool, output_format: str
) -> None:
    """Verify PACKAGE (signature, every SHA-256, version), then install it atomically.

    A tampered, truncated, unsigned or wrongly signed package is refused and nothing
    changes; so is an older version unless --allow-older. The previous state is kept for
    `idtool update rollback`; a running field server uses the update from its next
    request.

    Example:

        idtool update apply update-2026.12.07.pkg --trust /etc/idtool/idtool-update.pub
    """
    from idtool.learn.update_install import apply_update

    settings = settings_from(ctx)
    update = apply_update(settings, package, trust, allow_older=allow_older)
    if output_format == "json":
        echo_json(update.to_dict())
        return
    click.echo(
        f"installed update {update.version}: reference {update.reference_version}"
        + (f", model {Path(update.bundle_dir).name}" if update.bundle_dir else "")
        + (f", listings {', '.join(update.listing_sets)}" if update.listing_sets else "")
    )


@update_group.command("rollback")
@format_option
@click.pass_context
def rollback(ctx: click.Context, output_format: str) -> None:
    """Put back the model, reference set and listings the last update replaced.

    Example:

        idtool update rollback
    """
    from idtool.learn.update_install import rollback_update

    settings = settings_from(ctx)
    previous = rollback_update(settings)
    if output_format == "json":
        echo_json({"installed": previous.to_dict() if previous else None})
        return
    echo_err("rolled back")
    click.echo(f"now in use: {previous.version if previous else 'the post set-up (no update)'}")


@update_group.command("status")
@format_option
@click.pass_context
def status(ctx: click.Context, output_format: str) -> None:
    """Show the installed update (version, reference, listings, release notes).

    Example:

        idtool update status
    """
    from idtool.learn.update_install import read_installed

    installed = read_installed(settings_from(ctx))
    if output_format == "json":
        echo_json({"installed": installed.to_dict() if installed else None})
        return
    if installed is None:
        click.echo("no update installed (the post runs what it was set up with)")
        return
    click.echo(
        f"update {installed.version} installed {installed.installed_at}: reference "
        f"{installed.reference_version}, key {installed.key_id}"
    )


def register(group: click.Group) -> None:
    """Attach the ``update`` group."""
    group.add_command(update_group)
