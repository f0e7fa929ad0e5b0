"""``idtool serve`` and ``idtool token create|list|revoke``: parse, call, format."""

from __future__ import annotations

from pathlib import Path

import click

from idtool.catalog.store import current_user
from idtool.cli.common import (
    catalog_option,
    echo_err,
    echo_json,
    format_option,
    runtime_option_with_engine_alias,
    settings_from,
)
from idtool.evidence.store import EvidenceStore
from idtool.evidence.tokens import Role, create_token, list_tokens, revoke_token


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@catalog_option
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=None,
    help="Request threads (default: server_workers setting, 4).",
)
@runtime_option_with_engine_alias
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    catalog_path: Path | None,
    threads: int | None,
    runtime: str,
) -> None:
    """Run the field server (API + phone page) on waitress, a production WSGI server.

    The model and catalog load once at start. Phones open http://HOST:PORT/ and
    need a token from `idtool token create`. Listen on 0.0.0.0 only behind TLS
    (a reverse proxy) or on a closed network.

    Example:

        idtool serve --host 0.0.0.0 --port 8000
    """
    import waitress

    from server.app import create_app, waitress_options

    settings = settings_from(ctx, catalog_path=catalog_path, server_workers=threads)
    app = create_app(settings, runtime=runtime)
    echo_err(
        f"idtool field server on http://{host}:{port}/ "
        f"({settings.server_workers} threads, evidence in {settings.evidence_path})"
    )
    waitress.serve(app, host=host, port=port, **waitress_options(settings))


@click.group("token")
def token() -> None:
    """Create, list and revoke API tokens (one per officer; only hashes are stored)."""


@token.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.OFFICER.value,
    show_default=True,
    help="officer: reads its own records; supervisor: may list every officer's.",
)
@click.pass_context
def token_create(ctx: click.Context, name: str, role: str) -> None:
    """Create a token for officer NAME and print it (last line; shown only once).

    Example:

        idtool token create j.mwangi
        idtool token create a.otieno --role supervisor
    """
    settings = settings_from(ctx)
    with EvidenceStore.open(settings.evidence_path) as store:
        value = create_token(store, name, current_user(), Role(role))
    echo_err(f"{role} token for {name} (store it now; it cannot be shown again):")
    click.echo(value)


@token.command("list")
@format_option
@click.pass_context
def token_list(ctx: click.Context, output_format: str) -> None:
    """List tokens by officer name, with when they were created or revoked.

    Example:

        idtool token list --format json
    """
    settings = settings_from(ctx)
    with EvidenceStore.open(settings.evidence_path) as store:
        tokens = list_tokens(store)
    for info in tokens:
        if output_format == "json":
            echo_json(info.to_dict())
        else:
            state = f"revoked {info.revoked_at}" if info.revoked_at else "active"
            click.echo(
                f"{info.name}\t{info.role.value}\t{state}\t"
                f"created {info.created_at} by {info.created_by}"
            )


@token.command("revoke")
@click.argument("name")
@click.pass_context
def token_revoke(ctx: click.Context, name: str) -> None:
    """Revoke the active token of officer NAME (its records stay).

    Example:

        idtool token revoke j.mwangi
    """
    settings = settings_from(ctx)
    with EvidenceStore.open(settings.evidence_path) as store:
        info = revoke_token(store, name, current_user())
    click.echo(f"revoked the token of {info.name} at {info.revoked_at}")


def register(group: click.Group) -> None:
    """Attach ``serve`` and ``token`` to the root group."""
    group.add_command(serve)
    group.add_command(token)
