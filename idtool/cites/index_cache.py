"""The lookup tables of a listing index, in memory or in a cache file beside the catalog.

Merging a full Species+ index with the shipped layers takes seconds; a lookup needs a few
rows. After an import (or the first load that finds the cache missing or stale) the
merged tables are written to ``<catalog>.cites-index.sqlite`` (temp file, then rename),
keyed by the listing sets, the shipped files and :data:`CACHE_VERSION`. Later commands
read only the rows they look up. The file is derived data: deleting it only costs one
slow load.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Generic, TypeVar

import sqlite_utils

from idtool.cites.listing_entry import AmendmentSource, ListingEntry
from idtool.cites.store import ListingSetInfo

logger = logging.getLogger(__name__)

CACHE_VERSION = "1"
V = TypeVar("V")

_ENTRY_FIELDS = [f.name for f in fields(ListingEntry)]


@dataclass
class IndexTables:
    """The maps a :class:`~idtool.cites.listing_index.ListingIndex` and its name index
    look names up in (plain dicts, or :class:`StoredMap` views of the cache file)."""

    by_name: Mapping[str, ListingEntry]
    synonyms: Mapping[str, str]
    ranges: Mapping[str, tuple[tuple[str, ...], ListingSetInfo]]
    parents: Mapping[str, tuple[str, ...]]
    members: Mapping[str, list[str]]


def build_tables(entries: list[ListingEntry]) -> IndexTables:
    """Index merged entries (one per name) in memory."""
    by_name: dict[str, ListingEntry] = {}
    synonyms: dict[str, str] = {}
    ranges: dict[str, tuple[tuple[str, ...], ListingSetInfo]] = {}
    for entry in entries:
        key = entry.full_name.casefold()
        by_name[key] = entry
        for synonym in entry.synonyms:
            synonyms.setdefault(synonym.casefold(), entry.full_name)
        if entry.distribution_iso:
            ranges[key] = (entry.distribution_iso, entry.listing_set)
    parents: dict[str, tuple[str, ...]] = {}
    members: dict[str, list[str]] = {}
    for entry in by_name.values():
        lineage = entry.lineage
        listed = bool(entry.appendices)
        parents.setdefault(entry.full_name.casefold(), tuple(lineage[1:]))
        for i, name in enumerate(lineage[1:], start=1):
            parents.setdefault(name.casefold(), tuple(lineage[i + 1 :]))
            if listed:
                members.setdefault(name.casefold(), []).append(entry.full_name)
    return IndexTables(by_name, synonyms, ranges, parents, members)


class StoredMap(Mapping[str, V], Generic[V]):
    """A read-only mapping over one ``(key, value)`` table of the cache file."""

    def __init__(self, store: CacheReader, table: str, decode: Callable[[Any], V]) -> None:
        self._store = store
        self._table = table
        self._decode = decode
        self._seen: dict[str, V | None] = {}

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        if key not in self._seen:
            raw = self._store.value(self._table, key)
            self._seen[key] = None if raw is None else self._decode(json.loads(raw))
        found = self._seen[key]
        return default if found is None else found

    def __getitem__(self, key: str) -> V:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._store.keys(self._table))

    def __len__(self) -> int:
        return self._store.count(self._table)

    def items(self) -> Iterator[tuple[str, V]]:  # type: ignore[override]
        for key, raw in self._store.rows(self._table):
            yield key, self._decode(json.loads(raw))

    def values(self) -> Iterator[V]:  # type: ignore[override]
        for _key, value in self.items():
            yield value


def _text(value: str | bytes) -> str:
    """Values are JSON text, compressed for the large listing rows."""
    return zlib.decompress(value).decode() if isinstance(value, bytes) else value


class CacheReader:
    """One read-only connection to a cache file, shared by threads under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    def value(self, table: str, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute(f"select v from [{table}] where k = ?", (key,)).fetchone()
        return _text(row[0]) if row else None

    def keys(self, table: str) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute(f"select k from [{table}]")]

    def rows(self, table: str) -> list[tuple[str, str]]:
        with self._lock:
            return [(k, _text(v)) for k, v in self._conn.execute(f"select k, v from [{table}]")]

    def count(self, table: str) -> int:
        with self._lock:
            return int(self._conn.execute(f"select count(*) from [{table}]").fetchone()[0])

    def meta(self, key: str) -> str | None:
        return self.value("meta", key)


def cache_path(db: sqlite_utils.Database) -> Path | None:
    """``<catalog>.cites-index.sqlite`` beside the catalog file; None for a memory DB."""
    row = db.conn.execute("PRAGMA database_list").fetchone()
    name = row[2] if row else ""
    return Path(f"{name}.cites-index.sqlite") if name else None


def cache_key(
    sets: list[ListingSetInfo], extra_files: list[Path], extra: list[str] | None = None
) -> str:
    """A digest of every listing set, shipped file and extra value the merged tables
    depend on."""
    digest = hashlib.sha256(CACHE_VERSION.encode())
    digest.update(json.dumps(extra or []).encode())
    for info in sets:
        digest.update(
            json.dumps(
                [info.name, info.sha256, info.snapshot_date, info.set_id, info.complete]
            ).encode()
        )
    for path in extra_files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def set_fields(info: ListingSetInfo) -> dict[str, Any]:
    return {f.name: getattr(info, f.name) for f in fields(ListingSetInfo)}


def _encode_entry(entry: ListingEntry, set_ids: dict[ListingSetInfo, int]) -> list[Any]:
    out: list[Any] = []
    for name in _ENTRY_FIELDS:
        value = getattr(entry, name)
        if name == "listing_set":
            value = set_ids[value]
        elif name == "amendment":
            value = value.to_dict() if value else None
        elif isinstance(value, tuple):
            value = list(value)
        out.append(value)
    return out


def _entry_decoder(sets: list[ListingSetInfo]) -> Callable[[Any], ListingEntry]:
    def decode(values: list[Any]) -> ListingEntry:
        kwargs = dict(zip(_ENTRY_FIELDS, values, strict=True))
        kwargs["listing_set"] = sets[kwargs["listing_set"]]
        kwargs["synonyms"] = tuple(kwargs["synonyms"])
        kwargs["distribution_iso"] = tuple(kwargs["distribution_iso"])
        if kwargs["amendment"]:
            kwargs["amendment"] = AmendmentSource(**kwargs["amendment"])
        return ListingEntry(**kwargs)

    return decode


def write_cache(
    path: Path,
    key: str,
    tables: IndexTables,
    names: dict[str, dict[str, Any]],
) -> None:
    """Write the tables (and the name tables) to ``path`` atomically.

    Args:
        path: the cache file.
        key: :func:`cache_key` of what the tables were built from.
        tables: the listing tables (plain dicts).
        names: name-index tables, each a dict of JSON-serialisable values.
    """
    sets = list(dict.fromkeys(e.listing_set for e in tables.by_name.values()))
    sets += [s for _codes, s in tables.ranges.values() if s not in sets]
    set_ids = {s: i for i, s in enumerate(sets)}
    handle, temp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        conn = sqlite3.connect(temp)
        with conn:
            content: dict[str, list[tuple[str, str | bytes]]] = {
                "by_name": [
                    (k, zlib.compress(json.dumps(_encode_entry(e, set_ids)).encode(), 1))
                    for k, e in tables.by_name.items()
                ],
                "synonyms": [(k, json.dumps(v)) for k, v in tables.synonyms.items()],
                "ranges": [
                    (k, json.dumps([list(codes), set_ids[s]]))
                    for k, (codes, s) in tables.ranges.items()
                ],
                "parents": [(k, json.dumps(list(v))) for k, v in tables.parents.items()],
                "members": [(k, json.dumps(v)) for k, v in tables.members.items()],
                "meta": [
                    ("key", json.dumps(key)),
                    ("sets", json.dumps([set_fields(s) for s in sets])),
                ],
            }
            for table, values in names.items():
                content[f"names_{table}"] = [(k, json.dumps(v)) for k, v in values.items()]
            for table, rows in content.items():
                conn.execute(f"create table [{table}] (k text primary key, v text)")
                conn.executemany(f"insert into [{table}] values (?, ?)", rows)
        conn.close()
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def read_cache(
    path: Path, key: str
) -> tuple[IndexTables, Callable[[str, Callable[[Any], Any]], StoredMap[Any]]] | None:
    """The tables of a cache file written for ``key``; None when absent, stale or broken.

    Returns:
        The listing tables and a function giving a stored name table by name.
    """
    if not path.is_file():
        return None
    try:
        reader = CacheReader(path)
        stored = reader.meta("key")
        if stored is None or json.loads(stored) != key:
            return None
        sets = [ListingSetInfo(**s) for s in json.loads(reader.meta("sets") or "[]")]
    except (sqlite3.Error, ValueError, TypeError) as exc:
        logger.warning("ignoring unreadable listing cache %s: %s", path, exc)
        return None

    def as_range(v: list[Any]) -> tuple[tuple[str, ...], ListingSetInfo]:
        return tuple(v[0]), sets[v[1]]

    tables = IndexTables(
        by_name=StoredMap(reader, "by_name", _entry_decoder(sets)),
        synonyms=StoredMap(reader, "synonyms", str),
        ranges=StoredMap(reader, "ranges", as_range),
        parents=StoredMap(reader, "parents", tuple),
        members=StoredMap(reader, "members", list),
    )

    def names_table(table: str, decode: Callable[[Any], Any]) -> StoredMap[Any]:
        return StoredMap(reader, f"names_{table}", decode)

    return tables, names_table
