"""Framework commands: load-frameworks, export-framework, import-framework."""

from __future__ import annotations

from ..versioned_library.cli import LibraryCommands
from . import library

_COMMANDS = LibraryCommands(library.LIBRARY, short_noun="framework")

load_frameworks = _COMMANDS.load_command(
    "load-frameworks",
    description="Add the built-in frameworks where they are missing. Safe to run again.",
    load_builtin=library.load_builtin,
    heading="Built-in frameworks:",
    width=22,
)

export_framework = _COMMANDS.export_command(
    "export-framework",
    description="Write one version of a framework to a file (format audit-tool-framework/1).",
    key_option="--framework",
    key_help="The framework's key.",
)

import_framework = _COMMANDS.import_command(
    "import-framework",
    description="Add a framework from a file: a new framework, or a new draft version of "
    "the framework with the same key.",
    publish_help="Publish the imported version at once. Built-in frameworks need this: "
    "no partnership can publish them.",
)

FRAMEWORK_COMMANDS = (load_frameworks, export_framework, import_framework)
