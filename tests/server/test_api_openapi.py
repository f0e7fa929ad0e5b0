"""/openapi.json describes exactly the routes the app serves."""

from __future__ import annotations

import re

IGNORED = {"/", "/sw.js", "/favicon.ico", "/static/{filename}"}  # the page and its files


def _app_routes(app) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        if path in IGNORED:
            continue
        methods = {m.lower() for m in rule.methods or ()} - {"head", "options"}
        routes.setdefault(path, set()).update(methods)
    return routes


def test_openapi_matches_the_routes(app, client):
    doc = client.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {path: set(ops) for path, ops in doc["paths"].items()}
    assert documented == _app_routes(app)


def test_every_operation_documents_responses_and_security(client):
    doc = client.get("/openapi.json").get_json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["responses"], (path, method)
            if path.startswith("/api/v1/"):
                assert op["security"] == [{"bearer": []}], (path, method)
                assert "401" in op["responses"], (path, method)
            for param in op.get("parameters", []):
                if param["in"] == "path":
                    assert "{" + param["name"] + "}" in path


def test_refs_resolve(client):
    doc = client.get("/openapi.json").get_json()
    text = str(doc)
    for ref in set(re.findall(r"#/components/(\w+)/(\w+)", text)):
        assert ref[1] in doc["components"][ref[0]], ref
