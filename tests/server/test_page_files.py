"""The phone page's files are listed once (server/app.py: the static folder itself); the
page loads one ES module, which imports the rest; the service worker precaches exactly them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from idtool.config import PROJECT_ROOT
from server.app import SW_FILES_MARKER, SW_VERSION_MARKER, service_worker_script, shell_files

STATIC = PROJECT_ROOT / "server" / "static"
IMPORT = re.compile(r'^import (?:\{[^}]*\} from )?"\./([\w.]+)";$', re.M)


def _imported(entry: str) -> set[str]:
    seen: set[str] = set()
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(IMPORT.findall((STATIC / name).read_text(encoding="utf-8")))
    return seen


def test_the_page_loads_one_module_that_imports_every_other() -> None:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts == ['<script type="module" src="/static/app.js">']
    modules = {n for n in shell_files() if n.endswith(".js")}
    assert _imported("app.js") == modules  # no file left out, none missing


def test_service_worker_precaches_the_shell_files() -> None:
    script = service_worker_script()
    assert SW_FILES_MARKER not in script and SW_VERSION_MARKER not in script
    listed = json.loads(re.search(r"const SHELL = (\[.*?\]);", script).group(1))  # type: ignore[union-attr]
    assert listed[0] == "/" and "/static/sw.js" not in listed
    assert sorted(Path(u).name for u in listed[1:]) == sorted(
        n for n in shell_files() if n != "index.html"
    )


def test_babel_extracts_every_module() -> None:
    config = (PROJECT_ROOT / "babel.cfg").read_text(encoding="utf-8")
    assert "[javascript: server/static/**.js]" in config
    assert not re.search(r"\[javascript: server/static/\w+\.js\]", config)
