"""Excel workbooks and CSV files for the PQA sub-group, the panel and agency leads.

`rows`, `s11_rows`, `case_rows` and `tracker_rows` are pure: they turn plain data into
typed tables and know nothing of XlsxWriter or the database, so they are tested on their
own. `cells` is the only module that writes a workbook, with every automatic conversion
of text switched off; `csv_tables` writes the same tables as CSV, escaping any cell a
spreadsheet would run as a formula. `s11_workbook`, `agency_workbook` and
`case_workbook` put them together; `cli` and the download views call them. See
docs/exports.md for every sheet and column.
"""
