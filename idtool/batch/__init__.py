"""Batch identification of folders of photos: resumable, overlapped, with a report.

Entry point: :func:`idtool.batch.pipeline.run_batch`.

May import: the foundation modules, ``idtool.model``, ``idtool.catalog``, ``idtool.cites``,
``idtool.forensics`` and ``idtool.decide``.
"""
