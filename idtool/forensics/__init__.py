"""Forensic aids: what a photo alone can and cannot show.

Owns Schreger-angle measurement (manual points, automatic spectra, synthetic sections for
tests and benchmarks), the material triage cards and the photo-quality checks.

May import: the foundation modules and ``idtool.model``.
"""
