"""Excel workbooks for the PQA sub-group and agency leads.

`rows` and `s11_rows` are pure: they turn plain data into typed rows and know nothing
of XlsxWriter or the database, so they are tested on their own. `cells` is the only
module that writes a workbook, with every automatic conversion of text switched off.
`s11_workbook` and `agency_workbook` put the two together; `cli` and the download views
call them. See docs/exports.md for every sheet and column.
"""
