"""The evidence store: originals byte for byte, records, and an append-only custody log.

Owns the content-addressed store of originals, the identification records, the
hash-chained custody log with its head anchored outside the database, the bearer
tokens of the field server, and the versioned seizure facts of cases.

May import: the foundation modules, and cites (country and CITES code lists, to check
seizure facts).
"""
