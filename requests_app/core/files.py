"""The one writer of the files the site gives people to open in a spreadsheet: every cell is made
safe (a formula is written as text), and every export is recorded in the read log."""

import csv
import io

from django.http import StreamingHttpResponse

from requests_app.audit.models import ReadLogEntry
from requests_app.audit.services import record_read

# Rows sent together: a piece of the response per row costs more than writing the row.
ROWS_PER_PIECE = 500


def csv_download(http_request, rows, filename):
    """`rows` as a CSV attachment, streamed: it never holds every row at once. Every CSV the
    site writes goes through here, so every cell is made safe to open in a spreadsheet, and
    every export is recorded as read by the person asking, with the filters it was asked
    with (its query string)."""
    query = http_request.GET.urlencode()
    record_read(
        http_request,
        ReadLogEntry.Kind.CSV_EXPORT,
        subject=f"{filename}?{query}" if query else filename,
    )
    response = StreamingHttpResponse(_pieces(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's CSV injection):
# a name typed as =HYPERLINK("http://x","click") would run when staff open the file.
FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))


def spreadsheet_safe(row):
    """The row's cells as text a spreadsheet shows as typed: a leading quote where a cell would
    start a formula (the quote itself is not shown). A row at a time: a call per cell cost a
    tenth of a 50,000-row export."""
    return [
        f"'{cell}" if isinstance(cell, str) and cell[:1] in FORMULA_STARTS else cell for cell in row
    ]


def _pieces(rows):
    """The CSV text of `rows`, ROWS_PER_PIECE rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for number, row in enumerate(rows, start=1):
        writer.writerow(spreadsheet_safe(row))
        if number % ROWS_PER_PIECE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
