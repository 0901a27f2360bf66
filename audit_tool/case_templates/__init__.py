"""The case-audit template library: the JSON format, built-in templates, import and export."""
