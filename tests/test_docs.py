"""Every CLI command has help text with an example and is documented (README or docs/);
every docs/ page and every docs path named in code exists."""

from __future__ import annotations

import re

import click

from idtool.cli import main
from idtool.config import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
DOC_PAGES = sorted((PROJECT_ROOT / "docs").glob("*.md"))
DOCS = README + "\n".join(page.read_text(encoding="utf-8") for page in DOC_PAGES)


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
        if f"`{path}" not in DOCS and f"{path} " not in DOCS:
            missing_docs.append(path)
    assert not missing_help, f"commands without help: {missing_help}"
    assert not missing_example, f"commands whose help has no Example: {missing_example}"
    assert not missing_docs, f"commands missing from README.md and docs/: {missing_docs}"


def test_readme_has_setup_test_and_demo_commands_near_the_top() -> None:
    top = README[:4000]
    assert "./setup.sh" in top
    assert ".venv/bin/pytest" in top
    assert "idtool identify examples/" in top
    assert "probable cause, not proof" in top
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./setup.sh" in ci and ".venv/bin/pytest" in ci


def test_readme_stays_short_and_links_resolve() -> None:
    assert README.count("\n") < 200, "the README is for newcomers: move reference text to docs/"
    broken = []
    for page in [PROJECT_ROOT / "README.md", *DOC_PAGES]:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(PROJECT_ROOT)} -> {target}")
    assert not broken, f"links to missing files: {broken}"


def test_docs_paths_named_in_code_exist() -> None:
    missing = []
    for folder in ("idtool", "server", "benchmarks"):
        for source in (PROJECT_ROOT / folder).rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            for named in re.findall(r"docs/[\w./-]+\.(?:md|png|json)", text):
                if not (PROJECT_ROOT / named).exists():
                    missing.append(f"{source.relative_to(PROJECT_ROOT)}: {named}")
    assert not missing, f"docs paths named in code that do not exist: {missing}"
