"""The reference catalog: one SQLite file of taxa, reference images, provenance, embeddings.

Owns the catalog store (sqlite-utils) and its named migrations, the taxonomy (parent
chains, look-alikes) and the import of a reference folder (which embeds the photos).

May import: the foundation modules and ``idtool.model``. Knows no CITES rules: the CITES
listing tables live in the same file, but ``idtool.cites`` owns and applies their
migrations itself.
"""
