"""The custody anchor: ``custody_head.json``, the newest custody entry kept outside the database.

The hash chain shows edited, missing and re-ordered entries, but not entries cut from the
end of the log; the anchor does. It never heals itself: before every write the store
checks it (:func:`check_anchor`), and a missing, unreadable or disagreeing anchor stops
all writes with :class:`~idtool.errors.CustodyAnchorError` until an operator acts.
``idtool evidence verify`` names the same problem (:func:`anchor_problem`). The one way
back is :func:`reanchor` (``idtool evidence reanchor --reason ...``): only when the chain
itself verifies, the old anchor file kept aside as found, and a ``reanchor`` custody
entry that names the reason, the operator and what the anchor was.

A log longer than its anchor is fine (a crash between the commit and the anchor write);
the anchor only ever moves forward. A store with an empty log needs no anchor.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from idtool.atomic import write_atomic
from idtool.errors import BadField, CustodyAnchorError, IntegrityError
from idtool.evidence.custody import HEAD_FILE, CustodyEntry, append_entry, now_iso, verify_chain
from idtool.hashing import sha256_file

REANCHOR_HELP = (
    "check the store with `idtool evidence verify`, then, if the chain itself verifies, "
    "`idtool evidence reanchor --reason ...` (see docs/server.md#evidence)"
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Anchor:
    """What ``custody_head.json`` says: the newest custody entry when it was written."""

    seq: int
    entry_hash: str


def read_anchor(root: Path) -> Anchor | None:
    """The anchor in ``root``; None when there is no anchor file.

    Raises:
        CustodyAnchorError: the file exists but cannot be read or parsed.
    """
    path = root / HEAD_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        seq, entry_hash = data["seq"], data["entry_hash"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise ValueError(f"seq {seq!r} is not an entry number")
        if not isinstance(entry_hash, str) or len(entry_hash) != 64:
            raise ValueError("entry_hash is not a SHA-256")
        return Anchor(seq, entry_hash)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CustodyAnchorError(
            f"the custody anchor {path} is unreadable ({exc}); writes are refused: " + REANCHOR_HELP
        ) from None


def _last_entry(db: Database) -> tuple[int, str] | None:
    row = db.execute("SELECT seq, entry_hash FROM custody ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def anchor_problem(root: Path, db: Database) -> str | None:
    """What is wrong with the anchor against the log in ``db`` (None: nothing)."""
    try:
        check_anchor(root, db)
    except CustodyAnchorError as exc:
        return exc.message
    return None


def check_anchor(root: Path, db: Database) -> None:
    """Check the anchor against the custody log (call inside the write transaction).

    Raises:
        CustodyAnchorError: the anchor is missing while the log has entries, unreadable,
            names an entry the log no longer has (entries cut from the end), or names an
            entry whose hash differs.
    """
    anchor = read_anchor(root)
    last = _last_entry(db)
    path = root / HEAD_FILE
    if anchor is None:
        if last is not None:
            raise CustodyAnchorError(
                f"the custody anchor {path} is missing although the log has {last[0]} "
                "entries (deleted?); writes are refused: " + REANCHOR_HELP
            )
        return
    if last is None or anchor.seq > last[0]:
        raise CustodyAnchorError(
            f"the custody log ends before entry {anchor.seq} recorded in {path}: entries "
            "were removed from the end; writes are refused: restore evidence.db from a backup"
        )
    row = db.execute("SELECT entry_hash FROM custody WHERE seq = ?", [anchor.seq]).fetchone()
    if row is None or row[0] != anchor.entry_hash:
        raise CustodyAnchorError(
            f"custody entry {anchor.seq} differs from {path}; writes are refused: "
            "restore evidence.db from a backup"
        )


def advance_anchor(root: Path, db: Database) -> None:
    """Move the anchor forward to the newest entry (after a commit); never backward.

    An anchor that cannot be read is left as it is (the next write refuses; ``verify``
    reports it): it is never replaced here.
    """
    last = _last_entry(db)
    if last is None:
        return
    try:
        anchor = read_anchor(root)
    except CustodyAnchorError as exc:
        log.error("%s", exc)
        return
    if anchor is not None and anchor.seq >= last[0]:
        return
    write_anchor(root, *last)


def write_anchor(root: Path, seq: int, entry_hash: str) -> None:
    write_atomic(root / HEAD_FILE, json.dumps({"seq": seq, "entry_hash": entry_hash}).encode())


def _describe_old(root: Path) -> tuple[dict[str, Any], Path | None]:
    """What the (unreadable or missing) anchor file is, and where to keep it aside."""
    path = root / HEAD_FILE
    if not path.exists():
        return {"state": "missing"}, None
    kept = root / f"{HEAD_FILE}.{now_iso().replace(':', '')}.replaced"
    return {"state": "unreadable", "file_sha256": sha256_file(path), "kept_at": kept.name}, kept


def reanchor(store_root: Path, db: Database, actor: str, reason: str) -> CustodyEntry:
    """Write a new anchor after an operator checked the store; logged in the chain.

    Refused when the chain itself does not verify, or when the anchor is readable and
    shows entries cut from the end of the log (that is evidence; restore from a backup).
    An existing anchor file is kept aside (``custody_head.json.<when>.replaced``).

    Args:
        store_root: the evidence root.
        db: the store's connection (not inside a transaction).
        actor: the operator.
        reason: why (required; it goes into the custody entry).

    Returns:
        The ``reanchor`` custody entry (the new anchor names it).

    Raises:
        BadField: no reason given.
        IntegrityError: the chain does not verify, or the anchor shows a shortened log.
    """
    reason = reason.strip()
    if not reason:
        raise BadField("say why the store is re-anchored (--reason)")
    db.execute("BEGIN IMMEDIATE")
    try:
        count, problems = verify_chain(db)
        if problems:
            raise IntegrityError(
                "the custody chain itself does not verify, so it cannot be re-anchored: "
                + "; ".join(problems[:5])
            )
        try:
            anchor = read_anchor(store_root)
        except CustodyAnchorError:
            anchor = None
        if anchor is not None:
            problem = anchor_problem(store_root, db)
            if problem is None:
                raise BadField("the custody anchor agrees with the log: nothing to re-anchor")
            raise IntegrityError(f"{problem}; re-anchoring would hide it")
        last = _last_entry(db)
        previous, kept = _describe_old(store_root)
        entry = append_entry(
            db,
            actor=actor,
            action="reanchor",
            details={
                "reason": reason,
                "previous_anchor": previous,
                "chain_entries": count,
                "head_before": None if last is None else {"seq": last[0], "entry_hash": last[1]},
            },
        )
        if kept is not None:
            (store_root / HEAD_FILE).replace(kept)  # kept as found, never overwritten
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    write_anchor(store_root, entry.seq, entry.entry_hash)
    log.warning(
        "custody anchor re-written at entry %d by %s (%s); the old one: %s",
        entry.seq,
        actor,
        reason,
        previous["state"],
    )
    return entry
