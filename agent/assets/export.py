"""The archive as files: CSV (one file per table) and XLSX (one sheet per table).

Device text is data. Every text cell loses control characters and escape sequences
(textsafe.plain_text: XLSX cannot hold most of them, a terminal must not run them). A CSV
cell that a spreadsheet would run as a formula gets a leading apostrophe (the console's
audit export does the same); an XLSX cell is written with the string type, so "=cmd|..."
stays text and keeps its exact value. CSV files are UTF-8 with a byte-order mark, which is
what makes Excel read Chinese headers correctly.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from agent.assets.diff import Change
from agent.assets.join import ArchiveEntry
from agent.assets.tables import TABLES, cell_text, table_rows
from agent.textsafe import plain_text, spreadsheet_cell


def write_csv(folder: Path, entries: Sequence[ArchiveEntry], changes: Mapping[str, Sequence[Change]], today: date,
              lang: str) -> list[Path]:
    """``assets-<table>.csv`` per table into ``folder``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in TABLES:
        path = folder / f"assets-{table.id}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(table.headers(lang))
            for row in table_rows(table, entries, changes, today, lang):
                writer.writerow([_csv(v) for v in row])
        written.append(path)
    return written


def _csv(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return cell_text(value)  # a negative number is a number, not a formula
    return spreadsheet_cell(plain_text(cell_text(value)))


def write_xlsx(path: Path, entries: Sequence[ArchiveEntry], changes: Mapping[str, Sequence[Change]], today: date,
               lang: str) -> Path:
    """One workbook, one sheet per table, header row frozen and filtered."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for table in TABLES:
        sheet = book.create_sheet(table.title(lang))
        sheet.append(table.headers(lang))
        for cell in sheet[1]:
            cell.font = bold
        widths = [len(h) * (2 if lang == "zh-CN" else 1) + 2 for h in table.headers(lang)]
        for r, row in enumerate(table_rows(table, entries, changes, today, lang), start=2):
            for c, value in enumerate(row, start=1):
                _set(sheet.cell(row=r, column=c), value)
                widths[c - 1] = max(widths[c - 1], min(60, len(cell_text(value)) + 2))
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _set(cell: Any, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        cell.value = str(value)
        cell.data_type = "s"
    elif isinstance(value, (int, float)):
        cell.value = value
    elif isinstance(value, datetime):
        # Excel has no time zones: the UTC time, said so by the format
        cell.value = value.astimezone(timezone.utc).replace(tzinfo=None)
        cell.number_format = 'yyyy-mm-dd hh:mm:ss "UTC"'
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        cell.value = plain_text(value)
        cell.data_type = "s"  # never a formula, whatever it starts with
