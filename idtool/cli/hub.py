"""``idtool hub serve|verify|migrate|token`` (the national hub) and ``idtool sync`` (a post)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from idtool.cli.cases import aitr_options, with_options, write_aitr_report
from idtool.cli.common import echo_err, echo_json, format_option, settings_from

database_option = click.option(
    "--database",
    "database_url",
    envvar="IDTOOL_HUB_DATABASE",
    required=True,
    help="The hub's PostgreSQL, postgresql://USER@HOST:PORT/DB (env IDTOOL_HUB_DATABASE).",
)
store_option = click.option(
    "--store",
    "store_dir",
    envvar="IDTOOL_HUB_STORE",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of the originals, content-addressed (env IDTOOL_HUB_STORE).",
)


@click.group("hub")
def hub() -> None:
    """The national hub: every post's cases on PostgreSQL, for analysts."""


@hub.command("serve")
@database_option
@store_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8100, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option(
    "--trusted-proxies",
    type=click.IntRange(0, 5),
    default=0,
    show_default=True,
    help="Reverse proxies in front whose X-Forwarded-* headers are trusted (nginx: 1).",
)
def hub_serve(
    database_url: str,
    store_dir: Path,
    host: str,
    port: int,
    threads: int,
    trusted_proxies: int,
) -> None:
    """Run the hub (sync API, analyst API and page) on waitress.

    Migrates the database on start. Serve it behind a TLS reverse proxy
    (docs/hub.md, deploy/nginx/) with --trusted-proxies 1.

    Example:

        idtool hub serve --database postgresql://idtool@127.0.0.1:5432/hub --store /srv/hub
    """
    import waitress

    from server.hub.app import create_hub_app, waitress_options

    app = create_hub_app(database_url, store_dir, trusted_proxies=trusted_proxies)
    echo_err(f"idtool hub on http://{host}:{port}/hub/ (originals in {store_dir})")
    waitress.serve(app, host=host, port=port, **waitress_options(threads, trusted_proxies))


@hub.group("export")
def hub_export() -> None:
    """Write reports over every post's cases."""


@hub_export.command("aitr")
@database_option
@with_options(aitr_options)
def hub_export_aitr(
    database_url: str, year: int, out: Path, file_format: str | None, agency: str | None
) -> None:
    """Write the CITES annual illegal trade report seizure sheet for --year, over
    every post's cases at the hub (reference POST/CASE_REF).

    One row per seizure and taxon, the report's columns in order. Cases of the year
    missing a required field (date, species, specimen, quantity, unit) are not
    written: each is listed on stderr with what is missing.

    Example:

        idtool hub export aitr --database postgresql://idtool@127.0.0.1:5432/hub --year 2026 --out aitr-2026.xlsx
    """
    from idtool.hub.aitr_cases import hub_aitr_report
    from idtool.hub.database import connect

    with connect(database_url) as conn:
        report = hub_aitr_report(conn, year, agency)
    write_aitr_report(report, out, file_format)


@hub.command("migrate")
@database_option
def hub_migrate(database_url: str) -> None:
    """Create or update the hub's tables (numbered SQL migrations; never drops).

    Example:

        idtool hub migrate --database postgresql://idtool@127.0.0.1:5432/hub
    """
    from idtool.hub.database import apply_migrations

    applied = apply_migrations(database_url)
    click.echo(f"applied: {', '.join(applied)}" if applied else "the schema is up to date")


@hub.command("verify")
@database_option
@store_option
@format_option
def hub_verify(database_url: str, store_dir: Path, output_format: str) -> None:
    """Re-check every post's custody chain, records, case facts and every original.

    Exits 1 and names each problem when anything fails.

    Example:

        idtool hub verify --database postgresql://idtool@127.0.0.1:5432/hub --store /srv/hub
    """
    from idtool.hub.verify import verify_hub

    report = verify_hub(database_url, store_dir)
    if output_format == "json":
        echo_json(report.to_dict())
    else:
        click.echo(
            f"{report.posts} posts, {report.custody_entries} custody entries, "
            f"{report.record_versions} record versions, {report.originals} originals: "
            + ("all verified" if report.ok else f"{len(report.problems)} problems")
        )
        for problem in report.problems:
            click.echo(f"FAILED: {problem}")
    if not report.ok:
        sys.exit(1)


@hub.group("token")
def hub_token() -> None:
    """Create, list and revoke hub tokens (only hashes are stored)."""


@hub_token.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["post", "analyst", "admin"]),
    required=True,
    help="post: pushes and reads its own post; analyst/admin: read every post.",
)
@click.option("--post", default=None, help="The post a post token is bound to (default NAME).")
@database_option
def hub_token_create(name: str, role: str, post: str | None, database_url: str) -> None:
    """Create a hub token and print it (last line; shown only once).

    Example:

        idtool hub token create mombasa-port --role post --database postgresql://...
        idtool hub token create a.analyst --role analyst --database postgresql://...
    """
    from idtool.hub.database import apply_migrations
    from idtool.hub.tokens import HubRole, create_hub_token

    apply_migrations(database_url)
    value = create_hub_token(database_url, name, HubRole(role), post)
    echo_err(f"{role} hub token for {name} (store it now; it cannot be shown again):")
    click.echo(value)


@hub_token.command("list")
@database_option
@format_option
def hub_token_list(database_url: str, output_format: str) -> None:
    """List hub tokens (names, roles, posts; never the tokens).

    Example:

        idtool hub token list --database postgresql://idtool@127.0.0.1:5432/hub
    """
    from idtool.hub.tokens import list_hub_tokens

    for info in list_hub_tokens(database_url):
        if output_format == "json":
            echo_json(info.to_dict())
        else:
            state = f"revoked {info.revoked_at}" if info.revoked_at else "active"
            click.echo(f"{info.name}\t{info.role.value}\t{info.post or '-'}\t{state}")


@hub_token.command("revoke")
@click.argument("name")
@database_option
def hub_token_revoke(name: str, database_url: str) -> None:
    """Revoke the active hub token of NAME (the post's data stays).

    Example:

        idtool hub token revoke mombasa-port --database postgresql://...
    """
    from idtool.hub.tokens import revoke_hub_token

    revoke_hub_token(database_url, name)
    click.echo(f"revoked the hub token of {name}")


@click.command("sync")
@click.option("--hub", "hub_url", envvar="IDTOOL_HUB_URL", required=True, help="Hub URL.")
@click.option(
    "--token",
    envvar="IDTOOL_HUB_TOKEN",
    default=None,
    help="This post's hub token (env IDTOOL_HUB_TOKEN keeps it out of the process list).",
)
@click.option(
    "--ca-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="PEM file of the agency CA that signed the hub's certificate.",
)
@click.option(
    "--insecure", is_flag=True, help="Allow plain http:// to a non-loopback hub (closed nets)."
)
@click.option("--dry-run", is_flag=True, help="Say what would be pushed; push nothing.")
@click.option("--status", is_flag=True, help="Show what is pending (offline; no hub call).")
@format_option
@click.pass_context
def sync(
    ctx: click.Context,
    hub_url: str,
    token: str | None,
    ca_file: Path | None,
    insecure: bool,
    dry_run: bool,
    status: bool,
    output_format: str,
) -> None:
    """Push this post's records, custody log, case facts and originals to the hub.

    Only what the hub lacks goes; killed at any moment and run again, every item
    arrives exactly once. Custody entries and records go first, photos after in
    resumable 1 MiB chunks.

    Example:

        IDTOOL_HUB_TOKEN=idh_... idtool sync --hub https://hub.example.org --ca-file ca.pem
    """
    from idtool.errors import BadField
    from idtool.evidence.store import EvidenceStore
    from idtool.sync.client import sync_status, sync_to_hub

    settings = settings_from(ctx)
    with EvidenceStore.open(settings.evidence_path) as store:
        if status:
            result = sync_status(store, hub_url)
            if output_format == "json":
                echo_json(result)
            else:
                cp, pending = result["checkpoint"], result["pending"]
                click.echo(
                    f"last sync: {cp['at'] or 'never'} (hub held custody up to {cp['custody_seq']})"
                )
                click.echo(
                    f"pending: {pending['custody_entries']} custody entries, "
                    f"{pending['records']} records, {pending['files']} files "
                    f"({pending['file_bytes']:,} bytes)"
                )
            return
        if not token:
            raise BadField("give this post's hub token: --token or env IDTOOL_HUB_TOKEN")
        report = sync_to_hub(
            store,
            hub_url,
            token,
            ca_file=ca_file,
            insecure=insecure,
            dry_run=dry_run,
            progress=echo_err,
        )
    if output_format == "json":
        echo_json(report.to_dict())
    else:
        verb = "would push" if dry_run else "pushed"
        click.echo(
            f"post {report.post}: {verb} {report.custody_entries} custody entries, "
            f"{report.records} records, {report.files} files ({report.file_bytes:,} bytes)"
        )
        for item in report.rejected:
            click.echo(f"REJECTED {item['id']}: [{item['code']}] {item['message']}")
    if not report.ok:
        sys.exit(1)


def register(group: click.Group) -> None:
    """Attach ``hub`` and ``sync`` to the root group."""
    group.add_command(hub)
    group.add_command(sync)
