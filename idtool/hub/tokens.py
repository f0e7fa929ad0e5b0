"""Hub tokens: a post token pushes and reads back its own post; analysts and admins read
every post; nobody deletes. Only the SHA-256 of a token is stored.

A token is ``idh_`` plus 32 random bytes (URL-safe base64), so a plain SHA-256 is a safe
verifier. Tokens are created on the hub machine (``idtool hub token create``), never
over HTTP.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import psycopg

from idtool.errors import BadField, Conflict, Forbidden, NotFound, Unauthorized
from idtool.hub.database import transaction

TOKEN_PREFIX = "idh_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class HubRole(StrEnum):
    """What a hub token may do."""

    POST = "post"  # push its post's data, read back its own post
    ANALYST = "analyst"  # read every post
    ADMIN = "admin"  # read every post (tokens are made on the hub machine)


@dataclass(frozen=True)
class HubCaller:
    """Who sent a request to the hub."""

    name: str
    role: HubRole
    post: str | None  # the post a post token is bound to

    def may_read(self, post: str) -> bool:
        """True when this caller may read the data of ``post``."""
        return self.role is not HubRole.POST or post == self.post

    def readable_post(self, asked: str | None) -> str | None:
        """The post filter to apply: a post token only ever sees its own post.

        Raises:
            Forbidden: a post token asked for another post.
        """
        if self.role is HubRole.POST:
            if asked is not None and asked != self.post:
                raise Forbidden(f"the token of post {self.post!r} cannot read post {asked!r}")
            return self.post
        return asked

    def pushing_post(self) -> str:
        """The post this caller pushes for.

        Raises:
            Forbidden: an analyst or admin token (they read; only posts push).
        """
        if self.role is not HubRole.POST or self.post is None:
            raise Forbidden(f"a {self.role.value} token cannot push: use the post's own token")
        return self.post


@dataclass(frozen=True)
class HubTokenInfo:
    name: str
    role: HubRole
    post: str | None
    created_at: str
    revoked_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role.value,
            "post": self.post,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str, what: str = "token name") -> str:
    """Raises: BadField: not 1-64 letters, digits, ``. _ @ -`` starting alphanumeric."""
    if not _NAME.match(name or ""):
        raise BadField(
            f"{what} {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-' "
            "(e.g. post-mombasa-port)"
        )
    return name


def create_hub_token(url: str, name: str, role: HubRole, post: str | None = None) -> str:
    """Create a token and return it (shown once, stored only as its SHA-256).

    Args:
        url: the hub database.
        name: who holds it (a post's token defaults to the post of the same name).
        role: post, analyst or admin.
        post: the post a post token is bound to (default ``name``).

    Raises:
        BadField: a bad name, or a post given for an analyst/admin token.
        Conflict: ``name`` already has an active token.
    """
    check_name(name)
    role = HubRole(role)
    if role is HubRole.POST:
        post = check_name(post or name, "post name")
    elif post is not None:
        raise BadField(f"only a post token is bound to a post ({role.value} tokens read all)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction(url) as conn:
            if post is not None:
                conn.execute(
                    "INSERT INTO posts (name) VALUES (%s) ON CONFLICT (name) DO NOTHING", [post]
                )
            conn.execute(
                "INSERT INTO tokens (name, token_sha256, role, post) VALUES (%s, %s, %s, %s)",
                [name, hash_token(token), role.value, post],
            )
    except psycopg.errors.UniqueViolation:
        raise Conflict(
            f"{name!r} already has an active hub token: `idtool hub token revoke {name}` first"
        ) from None
    return token


def list_hub_tokens(url: str) -> list[HubTokenInfo]:
    with transaction(url) as conn:
        rows = conn.execute(
            "SELECT name, role, post, created_at, revoked_at FROM tokens ORDER BY id"
        ).fetchall()
    return [
        HubTokenInfo(r[0], HubRole(r[1]), r[2], r[3].isoformat(), r[4] and r[4].isoformat())
        for r in rows
    ]


def revoke_hub_token(url: str, name: str) -> None:
    """Revoke the active token of ``name`` (the row is kept).

    Raises:
        NotFound: no active token of that name.
    """
    with transaction(url) as conn:
        cursor = conn.execute(
            "UPDATE tokens SET revoked_at = now() WHERE name = %s AND revoked_at IS NULL", [name]
        )
        if cursor.rowcount == 0:
            raise NotFound(f"no active hub token named {name!r} (see `idtool hub token list`)")


def authenticate(conn: psycopg.Connection[Any], token: str | None) -> HubCaller:
    """The holder of an active token.

    Raises:
        Unauthorized: missing, unknown or revoked token.
    """
    if not token:
        raise Unauthorized("missing token: send the header 'Authorization: Bearer <token>'")
    row = conn.execute(
        "SELECT name, role, post, revoked_at FROM tokens WHERE token_sha256 = %s",
        [hash_token(token)],
    ).fetchone()
    if row is None:
        raise Unauthorized("unknown hub token: ask the hub's administrator for one")
    if row[3] is not None:
        raise Unauthorized("this hub token was revoked: ask the hub's administrator for a new one")
    return HubCaller(str(row[0]), HubRole(row[1]), row[2])
