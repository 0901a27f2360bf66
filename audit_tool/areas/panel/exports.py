"""The panel's downloads: the heat map and flags of a cycle, and a case-file audit
round's workbook and analysis tables, shared with PQA (see `downloads`)."""

from __future__ import annotations

from .. import downloads
from .views import bp, panel_only

downloads.add_download_views(bp, panel_only, area="panel")
