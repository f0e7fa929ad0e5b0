"""CLI commands live at module level; ``register()`` only attaches them to the root group."""

from __future__ import annotations

import ast
from pathlib import Path

import click

import idtool.cli

CLI_DIR = Path(idtool.cli.__file__).parent
# every command module defines its commands at module level
PENDING: set[str] = set()


def _register(path: Path) -> ast.FunctionDef | None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "register":
            return node
    return None


def test_register_only_attaches_module_level_commands() -> None:
    checked = 0
    for path in sorted(CLI_DIR.glob("*.py")):
        register = _register(path)
        if register is None or path.name in PENDING:
            continue
        checked += 1
        nested = [
            node.name
            for node in ast.walk(register)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node is not register
        ]
        assert not nested, f"{path.name}: define {nested} at module level, not in register()"
    assert checked >= 8


def test_train_and_evaluate_share_the_recipe_options() -> None:
    from idtool.cli import main

    commands = main.commands
    for name in ("train", "evaluate"):
        command = commands[name]
        assert isinstance(command, click.Command)
        options = {p.name: p for p in command.params}
        assert {"seed", "folds", "target_accuracy"} <= set(options)
    train, evaluate = commands["train"], commands["evaluate"]
    for name in ("seed", "folds", "target_accuracy"):
        a = next(p for p in train.params if p.name == name)
        b = next(p for p in evaluate.params if p.name == name)
        assert (a.default, a.help, str(a.type)) == (b.default, b.help, str(b.type))
