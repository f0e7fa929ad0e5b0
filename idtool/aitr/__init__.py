"""The CITES annual illegal trade report (AITR): the seizure sheet, as xlsx or CSV.

Owns the report's columns and codes (:mod:`idtool.aitr.sheet`), turning cases into rows
(one per seizure and taxon) with the cases that cannot be reported yet listed, never
dropped, and the writers (:mod:`idtool.aitr.writers`). Pure library: a post writes it
from its own evidence store (:func:`idtool.aitr.sheet.report_from_store`), a hub from
the cases it rebuilt; both pass :class:`~idtool.aitr.sheet.ReportCase` objects.

May import: cites (code meanings), evidence (the case facts).
"""

from idtool.aitr.sheet import COLUMNS, AitrReport, MissingCase, ReportCase, build_report
from idtool.aitr.writers import write_csv, write_xlsx

__all__ = [
    "COLUMNS",
    "AitrReport",
    "MissingCase",
    "ReportCase",
    "build_report",
    "write_csv",
    "write_xlsx",
]
