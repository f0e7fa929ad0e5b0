"""The national hub: every post's records, custody logs, case facts and originals in one
PostgreSQL database and one content-addressed store, checked on arrival, linked across
posts, read by analysts.

Owns the hub schema (numbered SQL migrations), its tokens, the verification of each
post's custody chain, the original store under ``--store``, cross-post links and the
analysts' queries. The HTTP side is ``server.hub``; the post's client is ``idtool.sync``.

May import: the evidence store's custody and record shapes, the model's image decoder.
"""
