"""The ``idtool`` command line: a thin click layer over the library.

Errors raised by the library (:class:`idtool.errors.IdtoolError`) are mapped here, once:
``error [code]: message`` on stderr and exit status 1.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import click

from idtool import __version__
from idtool.config import load_settings
from idtool.errors import IdtoolError
from idtool.i18n import LANGUAGES, set_default_language

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class IdtoolGroup(click.Group):
    """A click group that turns :class:`IdtoolError` into one line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IdtoolError as exc:
            click.echo(f"error [{exc.code}]: {exc.message}", err=True)
            ctx.exit(1)


@click.group(cls=IdtoolGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="idtool")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES, case_sensitive=False),
    default=None,
    help="Language of the texts: en, fr or es (default: IDTOOL_LANG, else the locale).",
)
@click.pass_context
def main(ctx: click.Context, verbose: int, lang: str | None) -> None:
    """Identify wildlife products in photos and say what CITES requires.

    State lives in $IDTOOL_HOME (default ~/.local/share/idtool).
    Visual identification is probable cause, not proof.

    Example:

        idtool identify photo.jpg
    """
    level_name = os.environ.get("IDTOOL_LOG_LEVEL")
    serving = ctx.invoked_subcommand == "serve"  # a server log: INFO lines with timestamps
    default = "INFO" if serving else "WARNING"
    level = (
        min(logging.WARNING - 10 * verbose, logging.INFO if serving else logging.WARNING)
        if verbose
        else getattr(logging, (level_name or default).upper(), logging.WARNING)
    )
    log_format = "%(levelname)s %(name)s: %(message)s"
    if serving:
        log_format = "%(asctime)s " + log_format
    logging.basicConfig(level=level, format=log_format)
    try:
        ctx.obj = load_settings(lang=lang)
    except IdtoolError as exc:
        click.echo(f"error [{exc.code}]: {exc.message}", err=True)
        ctx.exit(1)
    # a command's own --lang (parsed after this) wins
    set_default_language(ctx.obj.language)


def _register() -> None:
    """Attach the command modules to the group (each module owns one area)."""
    from idtool.cli import (
        batch,
        cites,
        commands_core,
        curation,
        evaluation,
        evidence,
        export,
        forensics,
        server,
    )

    for module in (
        commands_core,
        curation,
        evaluation,
        cites,
        forensics,
        export,
        batch,
        server,
        evidence,
    ):
        module.register(main)


_register()
