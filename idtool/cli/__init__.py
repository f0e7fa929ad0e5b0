"""The ``idtool`` command line: a thin click layer over the library.

Errors raised by the library (:class:`idtool.errors.IdtoolError`) are mapped here, once:
``error [code]: message`` on stderr and exit status 1.
"""

from __future__ import annotations

import importlib
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


# Which command modules define (or extend) each top-level command, in registration order.
# Only the modules a command needs are imported (``idtool identify`` does not pay for the
# batch, server, curation or evidence imports); tests/cli/test_cli_startup.py checks this
# table against registering every module.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "identify": ("commands_core",),
    "train": ("commands_core",),
    "model": ("commands_core",),
    "reference": ("commands_core", "curation", "evaluation", "field_import"),
    "evaluate": ("commands_core", "evaluation"),
    "cites": ("cites",),
    "guidance": ("cites",),
    "quality": ("forensics",),
    "schreger": ("forensics",),
    "export": ("export",),
    "batch": ("batch",),
    "listings": ("listings",),
    "serve": ("server",),
    "token": ("server",),
    "evidence": ("evidence",),
    "case": ("cases",),
    "hub": ("hub",),
    "sync": ("hub",),
    "update": ("update",),
}


def _register_modules(group: click.Group, names: tuple[str, ...], done: set[str]) -> None:
    for name in names:
        if name not in done:
            done.add(name)
            importlib.import_module(f"idtool.cli.{name}").register(group)


class LazyIdtoolGroup(IdtoolGroup):
    """The root group: imports a command's module only when that command runs.

    ``commands`` (used by help, completion and tests) still lists every command: reading
    it registers all modules.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loaded: set[str] = set()
        self._all_loaded = False
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override]
    def commands(self) -> dict[str, click.Command]:
        if not self._all_loaded:
            self._all_loaded = True
            all_modules = tuple(dict.fromkeys(m for ms in COMMAND_MODULES.values() for m in ms))
            _register_modules(self, all_modules, self._loaded)
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = value

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name is None:
            raise TypeError("Command has no name.")
        self._commands[name] = cmd

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        modules = COMMAND_MODULES.get(cmd_name)
        if modules is None:
            return self.commands.get(cmd_name)
        _register_modules(self, modules, self._loaded)
        return self._commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)


@click.group(cls=LazyIdtoolGroup, context_settings=CONTEXT_SETTINGS)
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
