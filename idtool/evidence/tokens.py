"""API tokens for the field server: one per officer, only the SHA-256 is stored.

A token is ``idt_`` plus 32 random bytes (URL-safe base64), so a plain SHA-256 is a safe
verifier: nobody can brute-force 256 bits. The token name is the officer's name and is
what every record and custody entry made with it carries. Its role says what it may
read: an ``officer`` sees the records it made, a ``supervisor`` sees everyone's.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from idtool.errors import BadField, Conflict, NotFound, Unauthorized
from idtool.evidence.custody import append_entry, now_iso
from idtool.evidence.store import EvidenceStore

TOKEN_PREFIX = "idt_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class Role(StrEnum):
    """What a token may read (every token may upload)."""

    OFFICER = "officer"  # its own records
    SUPERVISOR = "supervisor"  # every officer's records


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the token's name (the officer) and its role."""

    name: str
    role: Role

    def may_read(self, officer: str) -> bool:
        """True when this caller may read a record made by ``officer``."""
        return self.role is Role.SUPERVISOR or officer == self.name


_COLUMNS = "name, created_at, created_by, revoked_at, revoked_by, role"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    """A token's public facts (never the token itself)."""

    name: str
    created_at: str
    created_by: str
    revoked_at: str | None
    revoked_by: str | None
    role: Role = Role.OFFICER

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role.value,
            "active": self.active,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "revoked_at": self.revoked_at,
            "revoked_by": self.revoked_by,
        }


def check_name(name: str) -> str:
    """Raises: BadField: not 1-64 of letters, digits, ``. _ @ -`` starting alphanumeric."""
    if not _NAME.match(name):
        raise BadField(
            f"token name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-' "
            "(the officer's name, e.g. j.mwangi)"
        )
    return name


def _info(row: tuple[Any, ...]) -> TokenInfo:
    name, created_at, created_by, revoked_at, revoked_by, role = row
    return TokenInfo(name, created_at, created_by, revoked_at, revoked_by, Role(role))


def create_token(
    store: EvidenceStore, name: str, created_by: str, role: Role = Role.OFFICER
) -> str:
    """Create a token for officer ``name`` and return it (shown once, never stored).

    Raises:
        BadField: bad name.
        Conflict: ``name`` already has an active token (revoke it first).
    """
    check_name(name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with store.transaction() as db:
            db.execute(
                "INSERT INTO tokens (name, token_sha256, created_at, created_by, role)"
                " VALUES (?, ?, ?, ?, ?)",
                [name, hash_token(token), now_iso(), created_by, Role(role).value],
            )
            append_entry(
                db,
                actor=created_by,
                action="token_create",
                details={"name": name, "role": Role(role).value},
            )
    except sqlite3.IntegrityError:
        raise Conflict(
            f"{name!r} already has an active token: `idtool token revoke {name}` first"
        ) from None
    return token


def list_tokens(store: EvidenceStore) -> list[TokenInfo]:
    cursor = store.db.execute(f"SELECT {_COLUMNS} FROM tokens ORDER BY id")
    return [_info(row) for row in cursor]


def revoke_token(store: EvidenceStore, name: str, revoked_by: str) -> TokenInfo:
    """Revoke the active token of ``name``.

    Raises:
        NotFound: ``name`` has no active token.
    """
    with store.transaction() as db:
        at = now_iso()
        cursor = db.execute(
            "UPDATE tokens SET revoked_at = ?, revoked_by = ? WHERE name = ? AND revoked_at IS NULL",
            [at, revoked_by, name],
        )
        if cursor.rowcount == 0:
            raise NotFound(f"no active token named {name!r} (see `idtool token list`)")
        append_entry(db, actor=revoked_by, action="token_revoke", details={"name": name})
        row = db.execute(
            f"SELECT {_COLUMNS} FROM tokens WHERE name = ? AND revoked_at = ?", [name, at]
        ).fetchone()
    return _info(row)


def authenticate(store: EvidenceStore, token: str | None) -> Caller:
    """The officer name and role of an active token.

    Raises:
        Unauthorized: missing, unknown or revoked token.
    """
    if not token:
        raise Unauthorized("missing token: send the header 'Authorization: Bearer <token>'")
    row = store.db.execute(
        "SELECT name, revoked_at, role FROM tokens WHERE token_sha256 = ?", [hash_token(token)]
    ).fetchone()
    if row is None:
        raise Unauthorized("unknown token: ask your supervisor for one (`idtool token create`)")
    if row[1] is not None:
        raise Unauthorized("this token was revoked: ask your supervisor for a new one")
    return Caller(str(row[0]), Role(row[2]))
