"""Every CLI command has help text with an example and is documented in the README."""

from __future__ import annotations

import click

from idtool.cli import main
from idtool.config import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "idtool") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, path))
    return found


def test_every_command_has_help_and_appears_in_the_readme() -> None:
    missing_help, missing_docs, missing_example = [], [], []
    for path, command in _commands(main):
        if not (command.help or "").strip():
            missing_help.append(path)
        if not isinstance(command, click.Group) and "Example" not in (command.help or ""):
            missing_example.append(path)
        if f"`{path}" not in README and f"{path} " not in README:
            missing_docs.append(path)
    assert not missing_help, f"commands without help: {missing_help}"
    assert not missing_example, f"commands whose help has no Example: {missing_example}"
    assert not missing_docs, f"commands missing from README.md: {missing_docs}"


def test_readme_has_setup_test_and_demo_commands_near_the_top() -> None:
    top = README[:4000]
    assert "./setup.sh" in top
    assert ".venv/bin/pytest" in top
    assert "idtool identify examples/" in top
    assert "probable cause, not proof" in top
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./setup.sh" in ci and ".venv/bin/pytest" in ci
