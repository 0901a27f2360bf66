"""What the framework library and the case-audit template library share.

Both hold versioned items, a framework or a case-audit template, that arrive as JSON
files: built-in ones (no partnership) that every partnership sees once published, and
a partnership's own. `file_format` has the reading rules their files share,
`library` the rules for who sees which version, importing and publishing, and `cli` what
their commands share. Each library describes itself (models, format, audit events) in a
`library.VersionedLibrary`; what only one of them does stays in its own package.
"""
