"""``idtool hub export aitr``: the seizure sheet over every post's cases synced to the hub."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from click.testing import CliRunner
from hub_support import add_record, set_case_facts, small_jpeg, threaded_hub

from idtool.cli import main
from idtool.evidence.store import EvidenceStore
from idtool.hub.database import apply_migrations
from idtool.hub.tokens import HubRole, create_hub_token
from idtool.sync.client import sync_to_hub

COMPLETE = {
    "seizure_date": "2026-03-02",
    "taxon": "Loxodonta africana",
    "specimen": "IVC",
    "quantity": 12,
    "unit": "pieces",
    "country_origin": "CM",
    "country_destination": "FR",
    "transport_mode": "air",
}


def test_hub_sheet_has_every_complete_seizure_of_the_year_and_lists_the_rest(
    hub_url: str, hub_store: Path, tmp_path: Path
) -> None:
    apply_migrations(hub_url)
    tokens = {n: create_hub_token(hub_url, n, HubRole.POST) for n in ("airport", "port")}
    airport = EvidenceStore.open(tmp_path / "airport")
    port = EvidenceStore.open(tmp_path / "port")
    add_record(airport, small_jpeg(11), case_ref="JKIA-1")
    set_case_facts(airport, "JKIA-1", 1, COMPLETE, "officer.one")
    set_case_facts(port, "MBA-3", 1, {**COMPLETE, "specimen": "SKI", "quantity": 2}, "o.two")
    set_case_facts(port, "MBA-4", 1, {"seizure_date": "2026-05-01", "specimen": "SCA"}, "o.two")
    set_case_facts(port, "MBA-2025", 1, {**COMPLETE, "seizure_date": "2025-12-30"}, "o.two")
    with threaded_hub(hub_url, hub_store) as hub:
        for store, name in ((airport, "airport"), (port, "port")):
            assert sync_to_hub(store, hub.url, tokens[name]).ok
    out = tmp_path / "aitr-2026.xlsx"
    result = CliRunner().invoke(
        main,
        ["hub", "export", "aitr", "--database", hub_url, "--year", "2026", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "not reported: port/MBA-4: missing" in result.output
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    values = [[str(c) for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    body = "\n".join(" | ".join(row) for row in values)
    assert "airport/JKIA-1" in body and "port/MBA-3" in body
    assert "MBA-4" not in body and "MBA-2025" not in body
    assert "IVC" in body and "SKI" in body
