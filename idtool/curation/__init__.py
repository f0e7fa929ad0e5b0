"""The curator's tools: editing, auditing, training and evaluating the reference set.

Owns reference edits with history, the audit (duplicates, suspect labels, licences), the
grouped near-duplicate split, training of the calibrated head and its model card,
evaluation with its report and plots.

May import: the foundation modules, ``idtool.model``, ``idtool.catalog``, ``idtool.cites``,
``idtool.forensics`` and ``idtool.decide``.
"""
