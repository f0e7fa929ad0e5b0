"""The evidence store: originals byte for byte, records, and an append-only custody log.

Owns the content-addressed store of originals, the identification records, the
hash-chained custody log with its head anchored outside the database, and the bearer
tokens of the field server.

May import: the foundation modules only.
"""
