"""Seizure facts of a case: validation, versions, custody entries, migration 0003."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from idtool.errors import BadField, Conflict, NotFound
from idtool.evidence.case_facts import CaseFacts, check_changes
from idtool.evidence.cases import (
    case_year,
    cases_of_year,
    get_case,
    set_case_facts,
    version_facts,
)
from idtool.evidence.custody import verify_chain
from idtool.evidence.migrations import evidence_migrations
from idtool.evidence.store import EvidenceRecord, EvidenceStore
from idtool.evidence.verify import verify_store


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = EvidenceStore.open(tmp_path / "evidence")
    yield s
    s.close()


def _record(store: EvidenceStore, case_ref: str, label: str, n: int = 0) -> EvidenceRecord:
    data = f"photo {case_ref} {label} {n}".encode()
    sha = store.store_original(data)
    record = EvidenceRecord(
        id=store.new_record_id(),
        created_at=f"2026-02-0{n + 1}T10:00:00.000+00:00",
        officer="o1",
        sha256=sha,
        byte_count=len(data),
        media_format="jpeg",
        exif={},
        declaration={},
        identification={"decision": "identified", "label": label},
        guidance={},
        model_version="m-1",
        reference_version="r-1",
        listing_set="s",
        case_ref=case_ref,
    )
    return store.add_record(record)[0]


def test_values_are_normalised_as_officers_type_them():
    facts = CaseFacts().merged(
        {
            "seizure_date": "2026-03-14",
            "quantity": "12",
            "unit": "PCS",
            "specimen": "ivc",
            "country_origin": "Cameroon",
            "countries_transit": "ng, FR,ng",
            "offender_nationalities": ["cm"],
            "taxon": "loxodonta  africana",
            "transport_mode": "AIR",
            "location": "  JKIA cargo shed 3 ",
        }
    )
    assert facts.seizure_date == dt.date(2026, 3, 14)
    assert facts.quantity == 12.0
    assert facts.unit == "pieces"
    assert facts.specimen == "IVC"
    assert facts.country_origin == "CM"
    assert facts.countries_transit == ("NG", "FR")
    assert facts.offender_nationalities == ("CM",)
    assert facts.taxon == "Loxodonta africana"
    assert facts.transport_mode == "air"
    assert facts.location == "JKIA cargo shed 3"
    body = facts.to_dict()
    assert body["seizure_date"] == "2026-03-14"
    assert body["quantity"] == 12 and isinstance(body["quantity"], int)
    assert body["countries_transit"] == ["NG", "FR"]
    assert set(body) == {
        "seizure_date",
        "location",
        "quantity",
        "unit",
        "specimen",
        "taxon",
        "country_origin",
        "country_export",
        "countries_transit",
        "country_destination",
        "transport_mode",
        "detection_method",
        "reason",
        "offender_nationalities",
        "disposal",
        "notes",
    }
    assert CaseFacts.from_dict(json.loads(json.dumps(body))) == facts


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"country_origin": "XX"}, "country_origin"),
        ({"countries_transit": ["NG", "Atlantis"]}, "countries_transit"),
        ({"countries_transit": [1, 2]}, "countries_transit"),
        ({"specimen": "IVORY"}, "specimen"),
        ({"unit": "handfuls"}, "unit"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": "twelve"}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"quantity": float("nan")}, "quantity"),
        ({"seizure_date": "14/03/2026"}, "seizure_date"),
        ({"seizure_date": "2999-01-01"}, "seizure_date"),
        ({"seizure_date": "1970-01-01"}, "seizure_date"),
        ({"transport_mode": "camel"}, "transport_mode"),
        ({"detection_method": "psychic"}, "detection_method"),
        ({"reason": "bad vibes"}, "reason"),
        ({"disposal": "eaten"}, "disposal"),
        ({"taxon": "2 tusks (ivory)"}, "taxon"),
        ({"location": "x" * 201}, "location"),
        ({"location": "JKIA\u202eevil"}, "location"),
        ({"location": 12}, "location"),
        ({"weight": 3}, "weight"),
    ],
)
def test_bad_values_name_the_field(changes, named):
    with pytest.raises(BadField, match=named):
        check_changes(changes)


def test_every_change_is_a_new_version_and_a_custody_entry(store):
    case, changed = set_case_facts(
        store, "JKIA-1", {"quantity": 12, "unit": "pieces", "specimen": "IVC"}, "o1", 0
    )
    assert changed and case.version == 1
    case, changed = set_case_facts(store, "JKIA-1", {"country_origin": "CM"}, "o2", 1)
    assert changed and case.version == 2
    assert case.facts.quantity == 12 and case.facts.country_origin == "CM"  # merged
    assert [v.changed for v in case.history] == [
        ("quantity", "unit", "specimen"),
        ("country_origin",),
    ]
    assert [v.actor for v in case.history] == ["o1", "o2"]
    # nothing overwritten: version 1 is still there as it was
    assert version_facts(store, "JKIA-1", 1).country_origin is None
    with pytest.raises(sqlite3.IntegrityError, match="versioned"):
        store.db.execute("UPDATE case_facts SET facts = '{}'")
    with pytest.raises(sqlite3.IntegrityError, match="versioned"):
        store.db.execute("DELETE FROM case_facts")
    entries = [e for e in store.custody() if e.action == "case_facts"]
    assert [e.details["version"] for e in entries] == [1, 2]
    last = entries[-1]
    assert last.record_id is None
    assert set(last.details) == {"case_ref", "version", "facts"}
    assert last.details["facts"] == case.facts.to_dict()  # the full facts, not the change
    assert case.history[-1].custody_seq == last.seq
    assert verify_chain(store.db)[1] == []
    assert verify_store(store).ok


def test_the_custody_chain_alone_rebuilds_every_version(store):
    set_case_facts(store, "C-1", {"quantity": 3, "unit": "kg"}, "o1")
    set_case_facts(store, "C-2", {"specimen": "SKI"}, "o1")
    set_case_facts(store, "C-1", {"unit": "g", "countries_transit": ["NG"]}, "o2")
    rebuilt: dict[str, dict[int, CaseFacts]] = {}
    for entry in store.custody():
        if entry.action == "case_facts":
            d = entry.details
            rebuilt.setdefault(d["case_ref"], {})[d["version"]] = CaseFacts.from_dict(d["facts"])
    for case_ref, versions in rebuilt.items():
        case = get_case(store, case_ref)
        assert max(versions) == case.version
        assert versions[case.version] == case.facts
        for version, facts in versions.items():
            assert version_facts(store, case_ref, version) == facts


def test_stale_version_is_a_conflict_and_a_retry_is_not(store):
    set_case_facts(store, "C-1", {"quantity": 3}, "o1", 0)
    set_case_facts(store, "C-1", {"quantity": 4}, "o2", 1)
    with pytest.raises(Conflict, match="version 2, not 1"):
        set_case_facts(store, "C-1", {"quantity": 5}, "o1", 1)
    # the same change again (a retry after a lost answer) is no new version
    case, changed = set_case_facts(store, "C-1", {"quantity": 4}, "o2", 1)
    assert not changed and case.version == 2
    assert len([e for e in store.custody() if e.action == "case_facts"]) == 2


def test_clearing_a_field(store):
    set_case_facts(store, "C-1", {"quantity": 3, "countries_transit": ["NG"]}, "o1")
    case, _ = set_case_facts(store, "C-1", {"quantity": None, "countries_transit": []}, "o1")
    assert case.facts.quantity is None and case.facts.countries_transit == ()
    assert case.version == 2


def test_get_case_with_records_and_taxa(store):
    _record(store, "C-7", "Loxodonta africana", 0)
    _record(store, "C-7", "material_ivory_or_bone", 1)
    case = get_case(store, "C-7")
    assert case.version == 0 and case.facts.is_empty()
    assert len(case.records) == 2
    assert case.identified_taxa() == ("Loxodonta africana",)
    with pytest.raises(NotFound):
        get_case(store, "NOPE")
    with pytest.raises(BadField, match="case_ref"):
        get_case(store, "  ")


def test_cases_of_a_year(store):
    set_case_facts(store, "A", {"seizure_date": "2025-12-31"}, "o1")
    set_case_facts(store, "B", {"seizure_date": "2026-01-01"}, "o1")
    _record(store, "C", "Manis spp.")  # no facts: counts in the year of its record (2026)
    assert [c.case_ref for c in cases_of_year(store, 2025)] == ["A"]
    assert [c.case_ref for c in cases_of_year(store, 2026)] == ["B", "C"]
    assert case_year(get_case(store, "C")) == 2026


def test_migration_0003_from_the_previous_version(tmp_path):
    root = tmp_path / "old"
    root.mkdir()
    conn = sqlite3.connect(root / "evidence.db", isolation_level=None)
    evidence_migrations.apply(Database(conn), stop_before="0003_case_facts")
    assert "case_facts" not in Database(conn).table_names()
    conn.close()
    store = EvidenceStore.open(root)
    try:
        _record(store, "OLD-1", "Panthera tigris")
        case, _ = set_case_facts(store, "OLD-1", {"specimen": "SKI"}, "o1", 0)
        assert case.version == 1 and len(case.records) == 1
        assert verify_store(store).ok
    finally:
        store.close()


def test_verify_finds_a_version_edited_or_dropped_behind_the_triggers(store):
    set_case_facts(store, "C-1", {"quantity": 3}, "o1")
    set_case_facts(store, "C-1", {"quantity": 4}, "o1")
    assert verify_store(store).ok
    db = store.db
    db.execute("DROP TRIGGER case_facts_no_update")  # what someone editing the file can do
    db.execute("""UPDATE case_facts SET facts = replace(facts, '"quantity":4', '"quantity":40')""")
    db.execute("DROP TRIGGER case_facts_no_delete")
    db.execute("DELETE FROM case_facts WHERE version = 1")
    problems = verify_store(store).problems
    assert "case C-1 version 2: differs from the one logged" in problems
    assert "case C-1 version 1: logged but missing from the store" in problems


def test_case_export_carries_the_seizure_facts(store, tmp_path):
    from idtool.evidence.export import export_case

    _record(store, "C-X", "Loxodonta africana")
    set_case_facts(store, "C-X", {"quantity": 3, "unit": "kg"}, "o1")
    set_case_facts(store, "C-X", {"specimen": "IVP"}, "o1")
    report = export_case(store, "C-X", tmp_path / "out", "o1")
    manifest = json.loads(report.manifest.read_text(encoding="utf-8"))
    assert manifest["case_facts"]["version"] == 2
    case = json.loads((tmp_path / "out" / "case.json").read_text(encoding="utf-8"))
    assert case["facts"]["specimen"] == "IVP" and len(case["history"]) == 2
    assert [e["details"]["version"] for e in case["custody"]] == [1, 2]
