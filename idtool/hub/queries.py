"""What analysts read: records with filters, a case with its facts, links, seizure counts.

Every function takes the caller's post filter already resolved
(:meth:`idtool.hub.tokens.HubCaller.readable_post`): None means every post.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import psycopg

from idtool.errors import BadField, NotFound

MAX_LIMIT = 1000


@dataclass(frozen=True)
class RecordFilter:
    """Filters of ``GET /api/v1/hub/records`` (all optional, combined with AND)."""

    post: str | None = None
    case_ref: str | None = None
    taxon: str | None = None
    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date, inclusive
    sha256: str | None = None
    limit: int = 100
    offset: int = 0

    def checked(self) -> RecordFilter:
        """Raises: BadField: a bad date or limit."""
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                try:
                    dt.date.fromisoformat(value[:10])
                except ValueError:
                    raise BadField(f"{name} must be a date YYYY-MM-DD, not {value!r}") from None
        if not 1 <= self.limit <= MAX_LIMIT:
            raise BadField(f"limit must be 1-{MAX_LIMIT}")
        if self.offset < 0:
            raise BadField("offset must be 0 or more")
        return self


def _record_out(post: str, body: str) -> dict[str, Any]:
    return {"post": post, **json.loads(body)}


def list_records(conn: psycopg.Connection[Any], flt: RecordFilter) -> list[dict[str, Any]]:
    """Records (newest first), each with its ``post``."""
    flt = flt.checked()
    where, args = ["TRUE"], []
    if flt.post:
        where.append("r.post = %s")
        args.append(flt.post)
    if flt.case_ref:
        where.append("r.case_ref = %s")
        args.append(flt.case_ref)
    if flt.taxon:
        where.append("(lower(r.label) = lower(%s) OR lower(r.label) LIKE lower(%s) || ' %%')")
        args += [flt.taxon, flt.taxon]
    if flt.since:
        where.append("r.created_at >= %s")
        args.append(flt.since[:10])
    if flt.until:
        where.append("r.created_at < %s")
        args.append((dt.date.fromisoformat(flt.until[:10]) + dt.timedelta(days=1)).isoformat())
    if flt.sha256:
        where.append(
            "EXISTS (SELECT 1 FROM record_photos p WHERE p.post = r.post"
            " AND p.record_id = r.id AND p.sha256 = %s)"
        )
        args.append(flt.sha256.lower())
    rows = conn.execute(
        f"SELECT r.post, r.body FROM records r WHERE {' AND '.join(where)}"
        " ORDER BY r.created_at DESC, r.post, r.id LIMIT %s OFFSET %s",
        [*args, flt.limit, flt.offset],
    ).fetchall()
    return [_record_out(post, body) for post, body in rows]


def case_facts(conn: psycopg.Connection[Any], post: str, case_ref: str) -> list[dict[str, Any]]:
    """Every version of a case's seizure facts, oldest first."""
    rows = conn.execute(
        "SELECT version, facts, at, actor, seq FROM case_facts"
        " WHERE post = %s AND case_ref = %s ORDER BY version",
        [post, case_ref],
    ).fetchall()
    return [
        {"version": v, "facts": json.loads(f), "at": at, "actor": actor, "custody_seq": seq}
        for v, f, at, actor, seq in rows
    ]


def get_case(conn: psycopg.Connection[Any], post: str, case_ref: str) -> dict[str, Any]:
    """A case at one post: its latest facts, their history, its records and its links.

    Raises:
        NotFound: the post has no such case.
    """
    history = case_facts(conn, post, case_ref)
    records = list_records(conn, RecordFilter(post=post, case_ref=case_ref, limit=MAX_LIMIT))
    if not history and not records:
        raise NotFound(f"post {post!r} has no case {case_ref!r} at the hub")
    ids = [r["id"] for r in records]
    links = [
        link
        for link in list_links(conn, None)
        if (link["a"]["post"] == post and link["a"]["record_id"] in ids)
        or (link["b"]["post"] == post and link["b"]["record_id"] in ids)
    ]
    return {
        "post": post,
        "case_ref": case_ref,
        "facts": history[-1]["facts"] if history else None,
        "facts_version": history[-1]["version"] if history else None,
        "facts_history": history,
        "records": records,
        "links": links,
    }


def list_links(conn: psycopg.Connection[Any], post: str | None) -> list[dict[str, Any]]:
    """Links (newest first); with ``post``, only those touching that post."""
    where, args = "", []
    if post is not None:
        where, args = "WHERE l.a_post = %s OR l.b_post = %s", [post, post]
    rows = conn.execute(
        "SELECT l.id, l.kind, l.a_post, l.a_record, l.a_sha256, ra.case_ref, l.b_post,"
        " l.b_record, l.b_sha256, rb.case_ref, l.distance, l.reason, l.created_at"
        " FROM links l"
        " LEFT JOIN records ra ON ra.post = l.a_post AND ra.id = l.a_record"
        " LEFT JOIN records rb ON rb.post = l.b_post AND rb.id = l.b_record"
        f" {where} ORDER BY l.id DESC",
        args,
    ).fetchall()
    out = []
    for row in rows:
        out.append(
            {
                "id": row[0],
                "kind": row[1],
                "a": {"post": row[2], "record_id": row[3], "sha256": row[4], "case_ref": row[5]},
                "b": {"post": row[6], "record_id": row[7], "sha256": row[8], "case_ref": row[9]},
                "distance": row[10],
                "reason": row[11],
                "created_at": row[12].isoformat(),
            }
        )
    return out


@dataclass
class SeizureCounts:
    """Seizures (cases) counted per month, taxon, post and route (origin -> destination)."""

    per_month: Counter[str] = field(default_factory=Counter)
    per_taxon: Counter[str] = field(default_factory=Counter)
    per_post: Counter[str] = field(default_factory=Counter)
    per_route: Counter[str] = field(default_factory=Counter)
    cases: list[dict[str, Any]] = field(default_factory=list)


def seizure_counts(conn: psycopg.Connection[Any], post: str | None) -> SeizureCounts:
    """One seizure per case: its latest facts, else what its records say.

    A case without facts counts in the month of its first record and under its most
    frequent identified label; its route is unknown.
    """
    where, args = ("WHERE post = %s", [post]) if post else ("", [])
    facts = {
        (p, c): json.loads(f)
        for p, c, f in conn.execute(
            "SELECT DISTINCT ON (post, case_ref) post, case_ref, facts FROM case_facts"
            f" {where} ORDER BY post, case_ref, version DESC",
            args,
        )
    }
    record_where = "WHERE case_ref IS NOT NULL" + (" AND post = %s" if post else "")
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for p, c, created, label in conn.execute(
        f"SELECT post, case_ref, created_at, label FROM records {record_where} ORDER BY created_at",
        args,
    ):
        case = seen.setdefault((p, c), {"first": created, "labels": Counter()})
        if label:
            case["labels"][label] += 1
    counts = SeizureCounts()
    for key in sorted(set(facts) | set(seen)):
        fact = facts.get(key) or {}
        case = seen.get(key) or {"first": "", "labels": Counter()}
        date = str(fact.get("seizure_date") or case["first"] or "")[:7] or "unknown"
        labels: Counter[str] = case["labels"]
        taxon = fact.get("taxon") or (labels.most_common(1)[0][0] if labels else "unknown")
        origin, destination = fact.get("country_origin"), fact.get("country_destination")
        route = f"{origin or '?'} → {destination or '?'}" if origin or destination else None
        counts.per_month[date] += 1
        counts.per_taxon[str(taxon)] += 1
        counts.per_post[key[0]] += 1
        if route:
            counts.per_route[route] += 1
        counts.cases.append(
            {"post": key[0], "case_ref": key[1], "month": date, "taxon": taxon, "route": route}
        )
    return counts


def post_summaries(conn: psycopg.Connection[Any], post: str | None) -> list[dict[str, Any]]:
    """Per post: records, custody entries, last push."""
    where, args = ("WHERE p.name = %s", [post]) if post else ("", [])
    rows = conn.execute(
        "SELECT p.name, p.last_push_at,"
        " (SELECT count(*) FROM records r WHERE r.post = p.name),"
        " (SELECT count(*) FROM custody c WHERE c.post = p.name)"
        f" FROM posts p {where} ORDER BY p.name",
        args,
    ).fetchall()
    return [
        {
            "post": name,
            "last_push_at": last and last.isoformat(),
            "records": records,
            "custody_entries": entries,
        }
        for name, last, records, entries in rows
    ]
