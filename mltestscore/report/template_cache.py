"""Jinja2's compiled-template cache, loading only files this user wrote.

Jinja2 unmarshals compiled templates, which is running code: its own
``FileSystemBytecodeCache`` opens whatever file is in the folder. This one reads through
:func:`mltestscore.cache.read_private` (a regular file, not a link, owned by this user,
writable by nobody else) and writes private (0600) files whole. Measured (see
docs/security.md): compiling the templates costs about 0.1-0.3 s a run.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

from mltestscore.cache import read_private, write_private


class VerifiedBytecodeCache(jinja2.FileSystemBytecodeCache):
    def __init__(self, directory: Path) -> None:
        super().__init__(str(directory))

    def load_bytecode(self, bucket: Bucket) -> None:
        data = read_private(Path(self._get_cache_filename(bucket)))
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        write_private(Path(self._get_cache_filename(bucket)), bucket.bytecode_to_string())
