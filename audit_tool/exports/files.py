"""Writing an export file so that a failure never leaves half a file behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_output(target: Path) -> Iterator[BinaryIO]:
    """A file to write to that becomes `target` only if the block finishes.

    The data goes to a temporary file in the target's folder (so the final rename
    stays on one file system and is atomic), is flushed to disk, and then replaces
    `target` in one step. If anything fails, a full disk included, the temporary file is
    deleted and `target` is left as it was.
    """
    directory = target.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"The folder {directory} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=directory)
    try:
        with os.fdopen(handle, "w+b") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
