"""Untrusted text made visible as what it is: control characters (NUL, escape, C1) and the
Unicode bidirectional controls (right-to-left override and its kin, which can make
``evil.exe\u202egnp.txt`` display as ``evil.exetxt.png``) are replaced by a visible
``<U+202E>``-style marker in every report, so a test name or a message cannot hide or
reorder what the reader sees."""

from __future__ import annotations

_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_CONTROL = [c for c in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if chr(c) not in "\t\n\r"]
_TABLE = {code: f"<U+{code:04X}>" for code in (*_CONTROL, *_BIDI)}
_CHARACTERS = frozenset(chr(c) for c in _TABLE)


def neutralise(text: str) -> str:
    """``text`` with control and bidirectional-control characters shown as ``<U+XXXX>``."""
    if _CHARACTERS.isdisjoint(text):  # the common case: nothing to replace, no copy
        return text
    return text.translate(_TABLE)
