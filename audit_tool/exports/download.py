"""Sending a workbook or a CSV file to the browser."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from typing import IO

from flask import Response

from .csv_tables import CsvFile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"


def download_name(*parts: str, extension: str = "xlsx") -> str:
    """A safe file name from readable parts: "demo", "Section 11 audit 2026 to 2028"
    gives "demo-section-11-audit-2026-to-2028.xlsx"."""
    words = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
    return f"{words[:120] or 'export'}.{extension}"


def send_workbook(write: Callable[[IO[bytes]], object], *, filename: str) -> Response:
    """Write a workbook into a temporary file, then send it as an attachment. Nothing
    is sent if writing fails. The finished file (compressed: a few megabytes even for
    400 agencies) is read back whole, so no file handle outlives the request."""
    with tempfile.TemporaryFile() as stream:
        write(stream)
        stream.seek(0)
        data = stream.read()
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def send_csv(csv_file: CsvFile, *, filename: str) -> Response:
    response = Response(csv_file.data, mimetype=CSV)
    response.headers["Content-Type"] = f"{CSV}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
