"""The evidence store: originals byte for byte, records, and an append-only custody log.

Owns the content-addressed store of originals, the identification records, the
hash-chained custody log with its head anchored outside the database, the bearer
tokens of the field server, and the versioned seizure facts of cases.

May import: the foundation modules, and cites (country and CITES code lists, to check
seizure facts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from idtool.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from idtool.evidence.custody import now_iso
    from idtool.evidence.export import export_case
    from idtool.evidence.records import (
        MAX_TEXT,
        TEXT_PATTERNS,
        OriginalPhoto,
        OriginalStatus,
        submission_of,
    )
    from idtool.evidence.store import (
        INCOMING,
        EvidenceRecord,
        EvidenceStore,
        check_text,
        item_photo_hashes,
    )
    from idtool.evidence.tokens import (
        Caller,
        Role,
        authenticate,
        create_token,
        list_tokens,
        revoke_token,
    )
    from idtool.evidence.verify import verify_store

# the public names of this part, each imported from its module on first use
_EXPORTS: dict[str, str] = {
    "now_iso": "idtool.evidence.custody",
    "export_case": "idtool.evidence.export",
    "MAX_TEXT": "idtool.evidence.records",
    "OriginalPhoto": "idtool.evidence.records",
    "OriginalStatus": "idtool.evidence.records",
    "TEXT_PATTERNS": "idtool.evidence.records",
    "submission_of": "idtool.evidence.records",
    "EvidenceRecord": "idtool.evidence.store",
    "EvidenceStore": "idtool.evidence.store",
    "INCOMING": "idtool.evidence.store",
    "check_text": "idtool.evidence.store",
    "item_photo_hashes": "idtool.evidence.store",
    "Caller": "idtool.evidence.tokens",
    "Role": "idtool.evidence.tokens",
    "authenticate": "idtool.evidence.tokens",
    "create_token": "idtool.evidence.tokens",
    "list_tokens": "idtool.evidence.tokens",
    "revoke_token": "idtool.evidence.tokens",
    "verify_store": "idtool.evidence.verify",
}
__all__ = [
    "INCOMING",
    "MAX_TEXT",
    "TEXT_PATTERNS",
    "Caller",
    "EvidenceRecord",
    "EvidenceStore",
    "OriginalPhoto",
    "OriginalStatus",
    "Role",
    "authenticate",
    "check_text",
    "create_token",
    "export_case",
    "item_photo_hashes",
    "list_tokens",
    "now_iso",
    "revoke_token",
    "submission_of",
    "verify_store",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
