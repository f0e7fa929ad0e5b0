"""Batch identification of folders of photos: resumable, overlapped, with a report.

Entry point: :func:`idtool.batch.pipeline.run_batch`.
"""
