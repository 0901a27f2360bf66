"""Whole-partnership portability: the "audit-tool-partnership/1" archive.

`schema` declares every record type and field, `archive_format` reads, writes and checks
archives without touching a database, `export` and `import_` move a partnership between
a database and an archive, and `cli` holds the two commands. The format is documented in
`docs/portability.md`.
"""
