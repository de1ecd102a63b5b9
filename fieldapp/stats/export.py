"""Reports as files managers pass upwards: CSV for anything, XLSX for Excel users."""

import csv
import io
from datetime import date, datetime

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def plain(value):
    """Dates and times as ISO 8601 strings, recursively (Flask would write HTTP dates)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _attachment(body, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


# A text cell starting with one of these is a formula to Excel and LibreOffice, and firm and
# person names come from imports and users (CSV injection: =HYPERLINK(…), @SUM(…)).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value  # shown as text; the quote is the spreadsheet's own escape
    return value


def csv_response(rows, columns, filename: str) -> Response:
    """UTF-8 CSV with a BOM (so Excel reads the Chinese headers) and bilingual headers; text
    that a spreadsheet would run as a formula is escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([title for _, title in columns])
    for row in rows:
        row = plain(row)
        writer.writerow([_csv_cell(row.get(k)) for k, _ in columns])
    return _attachment("\ufeff" + buffer.getvalue(), "text/csv", filename)


def xlsx_response(sheets, filename: str) -> Response:
    """A workbook with one sheet per ``(title, columns, rows)``; numbers stay numbers, and all
    text stays text (never a formula)."""
    book = Workbook()
    book.remove(book.active)
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append([t for _, t in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            row = plain(row)
            sheet.append([row.get(k) for k, _ in columns])
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":  # openpyxl took text starting "=" for a formula
                    cell.data_type = "s"
        for i, (_, t) in enumerate(columns, start=1):
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = max(12, len(t) + 4)
    buffer = io.BytesIO()
    book.save(buffer)
    return _attachment(buffer.getvalue(), XLSX, filename)
