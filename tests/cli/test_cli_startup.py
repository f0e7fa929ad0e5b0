"""`idtool identify` starts fast: only the modules a command needs are imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from idtool.cli import COMMAND_MODULES
from idtool.config import PROJECT_ROOT

EXAMPLES = PROJECT_ROOT / "examples"


def _owners_by_registration() -> dict[str, set[str]]:
    """Register every command module into a plain group; which modules touch which command."""
    import importlib

    group = click.Group("idtool")
    owners: dict[str, set[str]] = {}
    modules = dict.fromkeys(m for ms in COMMAND_MODULES.values() for m in ms)

    def snapshot() -> dict[str, tuple[str, ...]]:
        return {
            name: tuple(sorted(cmd.commands)) if isinstance(cmd, click.Group) else ()
            for name, cmd in group.commands.items()
        }

    for module in modules:
        before = snapshot()
        importlib.import_module(f"idtool.cli.{module}").register(group)
        for name, subcommands in snapshot().items():
            if before.get(name) != subcommands:
                owners.setdefault(name, set()).add(module)
    return owners


def _subcommands(group: click.Group, name: str) -> tuple[str, ...]:
    command = group.commands[name]
    return tuple(sorted(command.commands)) if isinstance(command, click.Group) else ()


def test_command_table_matches_what_the_modules_register() -> None:
    import importlib

    owners = _owners_by_registration()
    assert set(owners) == set(COMMAND_MODULES)
    full = click.Group("idtool")
    for module in dict.fromkeys(m for ms in COMMAND_MODULES.values() for m in ms):
        importlib.import_module(f"idtool.cli.{module}").register(full)
    for name, modules in COMMAND_MODULES.items():
        assert owners[name] <= set(modules), name
        alone = click.Group("idtool")
        for module in modules:  # the table's modules alone give the whole command
            importlib.import_module(f"idtool.cli.{module}").register(alone)
        assert _subcommands(alone, name) == _subcommands(full, name), name


def test_identify_imports_neither_pandas_nor_the_other_commands(core_home_copy: Path) -> None:
    script = (
        "import json, sys\n"
        "from idtool.cli import main\n"
        "try:\n"
        "    main(['identify', '--format', 'json', sys.argv[1]])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pandas', 'pyarrow', 'idtool'))))\n"
    )
    env = {**os.environ, "IDTOOL_HOME": str(core_home_copy), "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", script, str(EXAMPLES / "coral_1.jpg")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[0])
    assert result["image"].endswith("coral_1.jpg") and result["decision"]
    loaded = set(json.loads(lines[-1]))
    assert not {m for m in loaded if m.split(".")[0] in ("pandas", "pyarrow")}
    for unneeded in ("idtool.cli.batch", "idtool.batch", "idtool.cli.server", "idtool.evidence"):
        assert unneeded not in loaded, unneeded


def test_every_command_is_still_listed() -> None:
    from idtool.cli import main

    assert set(main.commands) == set(COMMAND_MODULES)
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in COMMAND_MODULES:
        assert f"  {name} " in result.output
