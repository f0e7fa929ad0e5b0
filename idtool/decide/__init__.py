"""Decisions: from an embedding to an answer an officer can act on.

Owns the identification decision (calibrated head or k-NN fallback, open set, roll-up,
quality downgrade), the advice attached to each result (CITES guidance, material checks)
and the identification service that ties a bundle, a catalog and a listing index together.

May import: the foundation modules, ``idtool.model``, ``idtool.catalog``, ``idtool.cites``
and ``idtool.forensics``.
"""
