"""Write the AITR seizure sheet as an Excel workbook (openpyxl) or a CSV file.

Both are written to a temporary file beside the target and renamed into place, so a
failed run never leaves half a report under the final name. Text an officer typed is
never read as a formula: xlsx cells are stored as text, and CSV cells that start with
``=``, ``+``, ``-`` or ``@`` get a leading apostrophe (what spreadsheets show as text).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from idtool.aitr.sheet import COLUMNS, AitrReport
from idtool.atomic import atomic_open

FORMULA_STARTS = ("=", "+", "-", "@")
DATE_FORMAT = "DD/MM/YYYY"


def write_xlsx(report: AitrReport, path: Path) -> Path:
    """One sheet, ``Seizures YYYY``: the header row, then one row per seizure and taxon.

    Dates are Excel dates shown ``DD/MM/YYYY``; quantities are numbers; the rest text.

    Returns:
        ``path``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.worksheets[0])
    sheet = book.create_sheet(f"Seizures {report.year}")
    sheet.append([c.header for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row_number, row in enumerate(report.rows, start=2):
        for col_number, column in enumerate(COLUMNS, start=1):
            value = row.get(column.key)
            cell = sheet.cell(row=row_number, column=col_number)
            if isinstance(value, dt.date):
                cell.value = value
                cell.number_format = DATE_FORMAT
            elif isinstance(value, int | float):
                cell.value = value
            else:
                cell.value = "" if value is None else str(value)
                cell.data_type = "s"  # never a formula, whatever it starts with
    for col_number, column in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=col_number).column_letter
        sheet.column_dimensions[letter].width = min(max(12, len(column.header) + 2), 40)
    sheet.freeze_panes = "A2"
    with atomic_open(path, "wb") as handle:
        book.save(handle)
    return path


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def write_csv(report: AitrReport, path: Path) -> Path:
    """The same sheet as CSV (UTF-8 with a byte-order mark, so Excel reads accents).

    Dates are written ``YYYY-MM-DD``.

    Returns:
        ``path``.
    """
    with atomic_open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header for c in COLUMNS])
        for row in report.rows:
            writer.writerow([_csv_cell(row.get(c.key)) for c in COLUMNS])
    return path
