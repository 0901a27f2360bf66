"""The framework library: the JSON format, built-in frameworks, import, export and versions."""
