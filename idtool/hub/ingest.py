"""What a post pushes, checked on arrival: custody entries, then records.

Custody entries are accepted only as a continuation of the post's log already at the
hub: each entry must hash to its ``entry_hash``, name the previous entry's hash and
follow its sequence number; an entry resent with a sequence the hub holds must be the
same entry. A rewritten, re-ordered or cut history is refused whole (:class:`ChainRefused`)
and nothing already accepted changes. ``case_facts`` entries become rows of
``case_facts`` (every version kept).

A record is accepted when its canonical-JSON hash is one the post's custody log names
for it (``record_sha256``); the newest such version becomes the record analysts see.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import psycopg

from idtool.errors import BadField, Conflict
from idtool.evidence.custody import GENESIS_HASH, CustodyEntry, canonical_json, sha256_text
from idtool.hub.links import link_record, lock_links

MAX_BATCH = 1000
_RECORD_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")

log = logging.getLogger(__name__)


class ChainRefused(Conflict):
    """A post's custody log does not continue the one the hub accepted (rewritten,
    re-ordered, cut or edited). Nothing of the push is stored."""

    code = "chain_refused"


@dataclass(frozen=True)
class Head:
    """The last custody entry the hub holds for a post (seq 0: none)."""

    seq: int
    entry_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "entry_hash": self.entry_hash}


@dataclass
class CustodyPushResult:
    accepted: int = 0
    already_held: int = 0
    head: Head = field(default_factory=lambda: Head(0, GENESIS_HASH))

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "already_held": self.already_held,
            "head": self.head.to_dict(),
        }


@dataclass
class RecordsPushResult:
    stored: int = 0
    already_held: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"stored": self.stored, "already_held": self.already_held, "rejected": self.rejected}


def ensure_post(conn: psycopg.Connection[Any], post: str) -> None:
    """Create the post's row if needed and lock it (one push per post at a time)."""
    conn.execute("INSERT INTO posts (name) VALUES (%s) ON CONFLICT (name) DO NOTHING", [post])
    conn.execute("SELECT name FROM posts WHERE name = %s FOR UPDATE", [post])


def custody_head(conn: psycopg.Connection[Any], post: str) -> Head:
    row = conn.execute(
        "SELECT seq, entry_hash FROM custody WHERE post = %s ORDER BY seq DESC LIMIT 1", [post]
    ).fetchone()
    return Head(int(row[0]), str(row[1])) if row else Head(0, GENESIS_HASH)


def parse_entry(raw: Any) -> CustodyEntry:
    """A custody entry from its JSON form (``CustodyEntry.to_dict``).

    Raises:
        BadField: a field is missing or of the wrong type.
    """
    if not isinstance(raw, dict):
        raise BadField("each custody entry must be a JSON object")
    try:
        details = raw["details"]
        if not isinstance(details, dict):
            raise TypeError("details")
        seq = raw["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise TypeError("seq")
        texts = {name: raw[name] for name in ("at", "actor", "action", "prev_hash", "entry_hash")}
        if not all(isinstance(v, str) for v in texts.values()):
            raise TypeError("text field")
        for name in ("record_id", "sha256"):
            if raw[name] is not None and not isinstance(raw[name], str):
                raise TypeError(name)
        return CustodyEntry(
            seq=seq,
            at=texts["at"],
            actor=texts["actor"],
            action=texts["action"],
            record_id=raw["record_id"],
            sha256=raw["sha256"],
            details=json.loads(canonical_json(details)),
            prev_hash=texts["prev_hash"],
            entry_hash=texts["entry_hash"],
        )
    except (KeyError, TypeError) as exc:
        raise BadField(f"custody entry {raw.get('seq')!r}: missing or bad field {exc}") from None


def _stored_hash(conn: psycopg.Connection[Any], post: str, seq: int) -> str | None:
    row = conn.execute(
        "SELECT entry_hash FROM custody WHERE post = %s AND seq = %s", [post, seq]
    ).fetchone()
    return None if row is None else str(row[0])


def _insert_entry(conn: psycopg.Connection[Any], post: str, entry: CustodyEntry) -> None:
    record_sha256 = entry.details.get("record_sha256")
    conn.execute(
        "INSERT INTO custody (post, seq, at, actor, action, record_id, sha256, details,"
        " prev_hash, entry_hash, record_sha256) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
        [
            post,
            entry.seq,
            entry.at,
            entry.actor,
            entry.action,
            entry.record_id,
            entry.sha256,
            canonical_json(entry.details),
            entry.prev_hash,
            entry.entry_hash,
            record_sha256 if isinstance(record_sha256, str) else None,
        ],
    )
    if entry.action == "case_facts":
        _insert_case_facts(conn, post, entry)


def _insert_case_facts(conn: psycopg.Connection[Any], post: str, entry: CustodyEntry) -> None:
    details = entry.details
    case_ref, version, facts = details.get("case_ref"), details.get("version"), details.get("facts")
    if not isinstance(case_ref, str) or not isinstance(version, int) or not isinstance(facts, dict):
        log.warning(
            "post %s custody entry %d: case_facts without case_ref/version/facts; kept in the "
            "log, not in the case facts",
            post,
            entry.seq,
        )
        return
    conn.execute(
        "INSERT INTO case_facts (post, case_ref, version, facts, at, actor, seq)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        [post, case_ref, version, canonical_json(facts), entry.at, entry.actor, entry.seq],
    )


def ingest_custody(
    conn: psycopg.Connection[Any],
    post: str,
    raw_entries: list[Any],
    post_head: dict[str, Any] | None,
) -> CustodyPushResult:
    """Check and store a batch of the post's custody entries (call inside a transaction).

    Args:
        conn: a connection inside a transaction.
        post: the pushing post (from its token).
        raw_entries: entries in sequence order; may start at or before the hub's head.
        post_head: ``{"seq", "entry_hash"}`` of the newest entry at the post.

    Raises:
        ChainRefused: the entries do not continue the log the hub holds.
        BadField: a malformed entry or batch.
    """
    if len(raw_entries) > MAX_BATCH:
        raise BadField(f"at most {MAX_BATCH} custody entries per push")
    ensure_post(conn, post)
    start = custody_head(conn, post)
    result = CustodyPushResult(head=start)
    prev = start
    for entry in (parse_entry(raw) for raw in raw_entries):
        if entry.computed_hash() != entry.entry_hash:
            raise ChainRefused(
                f"post {post}: custody entry {entry.seq} does not match its own hash "
                "(edited after it was written)"
            )
        if entry.seq <= start.seq:
            stored = _stored_hash(conn, post, entry.seq)
            if stored != entry.entry_hash:
                raise ChainRefused(
                    f"post {post}: custody entry {entry.seq} differs from the one the hub "
                    "accepted earlier: the post's history was rewritten; the hub keeps what "
                    "it holds and refuses this push"
                )
            result.already_held += 1
            prev = Head(entry.seq, entry.entry_hash)
            continue
        if entry.seq != prev.seq + 1:
            raise ChainRefused(
                f"post {post}: custody entry {entry.seq} follows entry {prev.seq} "
                "(entries missing or re-ordered)"
            )
        if entry.prev_hash != prev.entry_hash:
            raise ChainRefused(
                f"post {post}: custody entry {entry.seq} does not name the hash of entry "
                f"{prev.seq} the hub holds: the post's history was rewritten"
            )
        _insert_entry(conn, post, entry)
        result.accepted += 1
        prev = Head(entry.seq, entry.entry_hash)
    end = custody_head(conn, post)
    if post_head is not None:
        _check_post_head(conn, post, post_head, end)
    if result.accepted:
        conn.execute("UPDATE posts SET last_push_at = now() WHERE name = %s", [post])
    result.head = end
    return result


def _check_post_head(
    conn: psycopg.Connection[Any], post: str, post_head: dict[str, Any], end: Head
) -> None:
    seq, entry_hash = post_head.get("seq"), post_head.get("entry_hash")
    if not isinstance(seq, int) or not isinstance(entry_hash, str):
        raise BadField("post_head must be {'seq': int, 'entry_hash': str}")
    if seq < end.seq:
        raise ChainRefused(
            f"post {post}: its custody log ends at entry {seq} but the hub holds entries up "
            f"to {end.seq}: entries were dropped from the post's history"
        )
    if seq == end.seq and entry_hash != end.entry_hash:
        raise ChainRefused(
            f"post {post}: its newest custody entry {seq} differs from the one the hub "
            "holds: the post's history was rewritten"
        )
    if seq == 0 and end.seq == 0 and entry_hash != GENESIS_HASH:
        raise BadField("post_head of an empty log must name the genesis hash")


def record_ids_needed(conn: psycopg.Connection[Any], post: str) -> list[str]:
    """Records whose newest logged version the hub does not hold yet."""
    rows = conn.execute(
        """
        SELECT h.record_id FROM (
            SELECT DISTINCT ON (record_id) record_id, record_sha256 FROM custody
            WHERE post = %s AND record_id IS NOT NULL AND record_sha256 IS NOT NULL
            ORDER BY record_id, seq DESC
        ) AS h
        LEFT JOIN record_versions v
            ON v.post = %s AND v.id = h.record_id AND v.content_hash = h.record_sha256
        WHERE v.id IS NULL ORDER BY h.record_id
        """,
        [post, post],
    ).fetchall()
    return [r[0] for r in rows]


def record_photos_of(body: dict[str, Any]) -> list[tuple[str, str]]:
    """Every file a record names: ``(sha256, role)`` for photo, original, added photos."""
    found: dict[str, str] = {}
    evidence = body.get("evidence") or {}
    if isinstance(evidence.get("sha256"), str):
        found[evidence["sha256"]] = "photo"
    original = body.get("original") or {}
    if isinstance(original, dict) and isinstance(original.get("sha256"), str):
        found.setdefault(original["sha256"], "original")
    identification = body.get("identification") or {}
    for photo in identification.get("photos") or [] if isinstance(identification, dict) else []:
        if isinstance(photo, dict) and isinstance(photo.get("sha256"), str):
            found.setdefault(photo["sha256"], "item_photo")
    return [(sha, role) for sha, role in found.items() if re.fullmatch(r"[0-9a-f]{64}", sha)]


def _record_columns(body: dict[str, Any]) -> dict[str, Any]:
    identification = body.get("identification")
    ident = identification if isinstance(identification, dict) else {}
    evidence = body.get("evidence") or {}
    original = body.get("original") or {}
    return {
        "created_at": str(body.get("created_at") or ""),
        "officer": str(body.get("officer") or ""),
        "case_ref": body.get("case_ref") if isinstance(body.get("case_ref"), str) else None,
        "sha256": str(evidence.get("sha256") or ""),
        "original_sha256": original.get("sha256") if isinstance(original, dict) else None,
        "label": ident.get("label") if isinstance(ident.get("label"), str) else None,
        "decision": ident.get("decision") if isinstance(ident.get("decision"), str) else None,
        "idempotency_key": body.get("idempotency_key"),
    }


def ingest_records(
    conn: psycopg.Connection[Any], post: str, bodies: list[Any]
) -> RecordsPushResult:
    """Store record versions whose hash the post's custody log names (in a transaction).

    A record whose hash the log does not name is not stored; it is listed in
    ``rejected`` (code ``record_hash_unknown``) and the caller logs a refusal.

    Raises:
        BadField: a malformed batch.
    """
    if len(bodies) > MAX_BATCH:
        raise BadField(f"at most {MAX_BATCH} records per push")
    ensure_post(conn, post)
    result = RecordsPushResult()
    for body in bodies:
        if not isinstance(body, dict) or not _RECORD_ID.match(str(body.get("id") or "")):
            raise BadField("each record must be a JSON object with its id")
        record_id = str(body["id"])
        content_hash = sha256_text(canonical_json(body))
        held = conn.execute(
            "SELECT 1 FROM record_versions WHERE post = %s AND id = %s AND content_hash = %s",
            [post, record_id, content_hash],
        ).fetchone()
        if held:
            result.already_held += 1
            continue
        logged = conn.execute(
            "SELECT record_sha256 FROM custody WHERE post = %s AND record_id = %s"
            " AND record_sha256 IS NOT NULL ORDER BY seq DESC",
            [post, record_id],
        ).fetchall()
        hashes = [r[0] for r in logged]
        if content_hash not in hashes:
            result.rejected.append(
                {
                    "id": record_id,
                    "code": "record_hash_unknown",
                    "message": (
                        f"record {record_id} hashes to {content_hash}, which its custody log "
                        "does not name: the record was changed outside idtool, or its "
                        "custody entries are not pushed yet"
                    ),
                }
            )
            continue
        conn.execute(
            "INSERT INTO record_versions (post, id, content_hash, body) VALUES (%s, %s, %s, %s)",
            [post, record_id, content_hash, canonical_json(body)],
        )
        if content_hash == hashes[0]:
            columns = _record_columns(body)
            names = ", ".join(columns)
            conn.execute(
                f"INSERT INTO records (post, id, content_hash, body, {names}) VALUES"
                f" (%s, %s, %s, %s, {', '.join(['%s'] * len(columns))})"
                " ON CONFLICT (post, id) DO UPDATE SET content_hash = EXCLUDED.content_hash,"
                " body = EXCLUDED.body, updated_at = now(), "
                + ", ".join(f"{c} = EXCLUDED.{c}" for c in columns),
                [post, record_id, content_hash, canonical_json(body), *columns.values()],
            )
            lock_links(conn)
            for sha256, role in record_photos_of(body):
                conn.execute(
                    "INSERT INTO record_photos (post, record_id, sha256, role)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    [post, record_id, sha256, role],
                )
            link_record(conn, post, record_id)
        result.stored += 1
    return result


def originals_needed(conn: psycopg.Connection[Any], post: str) -> list[str]:
    """Files the post's records name that the hub's store does not hold yet."""
    rows = conn.execute(
        "SELECT DISTINCT p.sha256 FROM record_photos p LEFT JOIN originals o"
        " ON o.sha256 = p.sha256 WHERE p.post = %s AND o.sha256 IS NULL ORDER BY p.sha256",
        [post],
    ).fetchall()
    return [r[0] for r in rows]


def named_by_post(conn: psycopg.Connection[Any], post: str, sha256: str) -> bool:
    """True when one of the post's records names the file ``sha256``."""
    row = conn.execute(
        "SELECT 1 FROM record_photos WHERE post = %s AND sha256 = %s LIMIT 1", [post, sha256]
    ).fetchone()
    return row is not None


def log_refusal(conn: psycopg.Connection[Any], post: str | None, code: str, message: str) -> None:
    """Keep a refused push in ``refusals`` (its own transaction) and in the log."""
    conn.execute(
        "INSERT INTO refusals (post, code, message) VALUES (%s, %s, %s)", [post, code, message]
    )
    log.warning("hub refused a push from %s: [%s] %s", post, code, message)
