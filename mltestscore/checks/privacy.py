"""Privacy controls (data-5): no personal data hiding in columns, no data files open to others.

The rubric asks whether the data pipeline has appropriate privacy controls. Two things can be
checked automatically: whether columns hold personal identifiers (emails, phone numbers, US
social security numbers, payment card numbers, IP addresses, IBANs), and whether the data
files on disk can be changed by every user, or are secrets readable by others. Detection is
strict where a checksum exists (Luhn for cards, mod-97 for IBANs, ``ipaddress`` for IPs), so
that ids or timestamps that merely look like numbers do not raise alarms.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.checks._inputs import read_frame, require_text_columns
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

if TYPE_CHECKING:
    import pandas as pd

RUBRIC_IDS = ("data-5",)
# column, kind, matching values, scanned values, fraction, masked examples
Finding = tuple[str, str, int, int, float, str]

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(
    r"(?<![\w.\-+])(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.\-]\d{3,4}[\s.\-]\d{3,4}"
    r"(?![\w\-]|\.\d)"
)
_SSN = re.compile(r"(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])")
_CARD = re.compile(r"(?<![\d-])\d(?:[ \-]?\d){12,18}(?![\d-])")
_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97."""
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _card(match: str) -> bool:
    digits = re.sub(r"[ \-]", "", match)
    # Issuer ranges of the major networks (Amex/Diners 3, Visa 4, Mastercard 2/5, Discover 6),
    # so a 13-digit millisecond timestamp (starts with 1) is never a card.
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits)


def _ssn(match: re.Match[str]) -> bool:
    area, group, serial = match.group(1), match.group(2), match.group(3)
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"


def _ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _phone(match: str) -> bool:
    return 9 <= sum(c.isdigit() for c in match) <= 15


Detector = Callable[[str], str | None]


def _finder(pattern: re.Pattern[str], valid: Callable[[str], bool]) -> Detector:
    def find(text: str) -> str | None:
        for match in pattern.finditer(text):
            if valid(match.group(0)):
                return match.group(0)
        return None

    return find


def _find_ssn(text: str) -> str | None:
    for match in _SSN.finditer(text):
        if _ssn(match):
            return match.group(0)
    return None


DETECTORS: dict[str, Detector] = {
    "email": _finder(_EMAIL, lambda _: True),
    "us_ssn": _find_ssn,
    "payment_card": _finder(_CARD, _card),
    "iban": _finder(_IBAN, iban_valid),
    "ipv4": _finder(_IPV4, _ip),
    "ipv6": _finder(_IPV6, lambda m: m.count(":") >= 2 and _ip(m)),
    "phone": _finder(_PHONE, _phone),
}


def mask(text: str) -> str:
    """Hide a matched identifier: keep the first and the last two letters or digits."""
    positions = [i for i, c in enumerate(text) if c.isalnum()]
    keep = set(positions[:1] + positions[-2:]) if len(positions) > 4 else set(positions[:1])
    return "".join(c if (i in keep or not c.isalnum()) else "*" for i, c in enumerate(text))


def detect(text: str) -> dict[str, str]:
    """Every kind of personal identifier found in ``text``, with the matching substring.

    A card or SSN match also matches the looser phone pattern; the phone is then dropped.
    """
    found = {kind: m for kind, find in DETECTORS.items() if (m := find(text)) is not None}
    if "phone" in found and ({"payment_card", "us_ssn", "iban"} & found.keys()):
        del found["phone"]
    return found


@register_check(*RUBRIC_IDS, renamed={"sample_rows": "sample_size"})
def check_pii(
    data: pd.DataFrame | str | os.PathLike[str],
    *,
    columns: Sequence[str] | None = None,
    sample_size: int | None = 10_000,
    seed: int = 0,
    max_match_fraction: float = 0.0,
    max_examples: int = 3,
) -> CheckResult:
    """Scan columns for personal identifiers (email, phone, SSN, card, IP, IBAN).

    Text columns and integer columns (card numbers stored as numbers) are scanned, by default
    on a seeded sample of ``sample_size`` non-null values per column (``None`` scans all).
    A column fails when the share of its values holding one kind of identifier exceeds
    ``max_match_fraction`` (default 0: any personal identifier is a finding). Examples are
    masked so the report itself leaks nothing.
    """
    from mltestscore.checks._frames import is_scannable

    where: dict[str, object] = {"engine": "pandas"}
    if is_scannable(data) and sample_size is not None:
        frame, where = _engine_sample(data, columns, sample_size, seed)
    else:
        frame = read_frame(data, "data")
    require_text_columns(frame, "data")
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise CheckInputError("data", f"is empty ({frame.shape[0]} rows, {frame.shape[1]} columns)")
    if sample_size is not None and sample_size < 1:
        raise CheckInputError(
            "sample_size", f"must be a positive number or None, not {sample_size}"
        )
    if not 0 <= max_match_fraction < 1:
        raise CheckInputError("max_match_fraction", "must be in [0, 1)")
    selected = _columns_to_scan(frame, columns)
    rows: list[Finding] = []
    scanned_values = 0
    for column in selected:
        values = _sample(frame[column], sample_size, seed)
        scanned_values += len(values)
        rows.extend(_scan_column(column, values, max_examples))
    findings = [r for r in rows if r[4] > max_match_fraction]
    kw: dict[str, Any] = {
        "measurements": {
            "columns_scanned": len(selected),
            "values_scanned": scanned_values,
            "columns_with_pii": len({r[0] for r in findings}),
            **where,
        },
        "thresholds": {"max_match_fraction": max_match_fraction},
        "parameters": {
            "sample_size": sample_size,
            "seed": seed,
            "rows": where.get("rows_scanned", int(frame.shape[0])),
        },
        "tables": [_table(rows)] if rows else [],
    }
    if not findings:
        return CheckResult.passed(
            "check_pii",
            RUBRIC_IDS,
            f"no personal identifiers in {len(selected)} scanned columns"
            + (f" (some below the {max_match_fraction:.1%} limit)" if rows else ""),
            **kw,
        )
    by_column: dict[str, list[str]] = {}
    for column, kind, _, _, fraction, _ in findings:
        by_column.setdefault(column, []).append(f"{kind} {fraction:.1%}")
    shown = ", ".join(f"{c} ({', '.join(k)})" for c, k in list(by_column.items())[:4])
    return CheckResult.failed(
        "check_pii",
        RUBRIC_IDS,
        f"personal identifiers in {len(by_column)} of {len(selected)} columns: {shown}",
        **kw,
    )


def _engine_sample(
    data: Any, columns: Sequence[str] | None, sample_size: int, seed: int
) -> tuple[pd.DataFrame, dict[str, object]]:
    """A bounded sample of the columns that can hold identifiers, drawn by the engine that
    holds the data (docs/bigdata.md), and where it came from. The sample is of rows, so a
    column with missing values has fewer than ``sample_size`` values scanned."""
    import narwhals as nw

    from mltestscore.checks._frames import open_scan

    scan = open_scan(data, "data")
    dtypes = scan.dtypes()
    if columns is not None:
        if isinstance(columns, str):
            raise CheckInputError("columns", "must be a list of column names, not one string")
        missing = [c for c in columns if c not in dtypes]
        if missing:
            raise CheckInputError(f"column {missing[0]!r}", "is not in the data")
        wanted = list(columns)
    else:
        textual = (nw.String, nw.Categorical, nw.Enum, nw.Object, nw.Unknown)
        wanted = [
            c for c, t in dtypes.items() if isinstance(t, textual) or t.is_integer() or t in textual
        ]
    # with no candidate, one column keeps the frame non-empty: nothing in it is scanned
    chosen = wanted or list(dtypes)[:1]
    frame = scan.sample(sample_size, seed, chosen)
    return frame, scan.where(chosen)  # the columns its queries read


def _columns_to_scan(frame: pd.DataFrame, columns: Sequence[str] | None) -> list[str]:
    import pandas as pd

    if columns is not None:
        if isinstance(columns, str):
            raise CheckInputError("columns", "must be a list of column names, not one string")
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise CheckInputError(f"column {missing[0]!r}", "is not in the data")
        return list(columns)
    return [
        str(c)
        for c in frame.columns
        if pd.api.types.is_string_dtype(frame[c])
        or pd.api.types.is_object_dtype(frame[c])
        or pd.api.types.is_integer_dtype(frame[c])
        or isinstance(frame[c].dtype, pd.CategoricalDtype)
    ]


def _sample(series: pd.Series, sample_size: int | None, seed: int) -> pd.Series:
    values = series.dropna()
    if sample_size is not None and len(values) > sample_size:
        values = values.sample(n=sample_size, random_state=seed)
    return values


def _scan_column(column: str, values: pd.Series, max_examples: int) -> list[Finding]:
    """One row per kind of identifier found: counts, share and masked examples.

    Each distinct value is examined once and weighted by its count, so categorical columns
    cost as much as their number of categories.
    """
    if len(values) == 0:
        return []
    counts = values.astype(str).value_counts()
    matched: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    for value, count in counts.items():
        for kind, text in detect(str(value)).items():
            matched[kind] = matched.get(kind, 0) + int(count)
            shown = examples.setdefault(kind, [])
            if len(shown) < max_examples:
                shown.append(mask(text))
    total = len(values)
    return [
        (column, kind, n, total, round(n / total, 6), "; ".join(examples[kind]))
        for kind, n in sorted(matched.items(), key=lambda item: -item[1])
    ]


def _table(rows: list[Finding]) -> Table:
    ordered = sorted(rows, key=lambda r: r[4], reverse=True)
    return Table.build(
        "Personal identifiers per column",
        ["column", "kind", "matching_values", "scanned_values", "fraction", "masked_examples"],
        ordered,
        chart="fraction",
    )


# --- file permissions ------------------------------------------------------------------------


# Names of files that hold credentials rather than data: readable by others, they leak access.
_SECRET_NAME = re.compile(
    r"(^\.env(\..+)?$|^\.netrc$|^\.pgpass$|^id_(rsa|dsa|ecdsa|ed25519)$|"
    r"\.(pem|key|p12|pfx|jks|keystore|kdbx)$|credential|secret|token|password|passwd)",
    re.IGNORECASE,
)


@register_check(*RUBRIC_IDS)
def check_data_file_permissions(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    project_root: str | os.PathLike[str] | None = None,
    allow_group_read: bool = True,
    max_files: int = 10_000,
) -> CheckResult:
    """Check the data files' permissions for what lets others change or take the data.

    Findings: a world-writable file or directory (anyone on the machine can swap the data the
    model learns from); a file named like a secret (``.env``, ``*.pem``, ``*.key``, ``id_rsa``,
    ``*credentials*``...) readable by group or others; a world-readable data file outside
    ``project_root`` (a copy left in a shared place). A world-readable data file inside the
    project is what the default umask (022) and every git checkout produce (0644): it is
    counted, not failed, since who can read it is decided by the directories above it and the
    machine's accounts. ``allow_group_read=False`` makes group read access of any data file a
    finding too. Directories are walked recursively (at most ``max_files`` entries).
    """
    name = "check_data_file_permissions"
    if os.name != "posix":
        return CheckResult.not_applicable(name, RUBRIC_IDS, "POSIX permissions do not apply here")
    roots = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not roots:
        raise CheckInputError("paths", "no data files given")
    root_dir = Path(project_root).resolve() if project_root is not None else None
    entries: list[Path] = []
    for root in map(Path, roots):
        if not root.exists() and not root.is_symlink():
            raise CheckInputError("paths", f"file {str(root)!r} does not exist")
        entries.extend(_walk(root, max_files - len(entries)))
    rows = []
    unchecked = []
    world_readable = 0
    for entry in entries:
        try:
            mode = entry.stat().st_mode
        except OSError as exc:  # a dangling symlink, a file removed while walking...
            unchecked.append((str(entry), "?", f"not checked: {exc.strerror}"))
            continue
        is_dir = stat.S_ISDIR(mode)
        world_readable += bool(not is_dir and mode & stat.S_IROTH)
        outside = root_dir is not None and not entry.resolve().is_relative_to(root_dir)
        problems = _permission_problems(
            mode,
            is_dir,
            allow_group_read,
            secret=bool(_SECRET_NAME.search(entry.name)),
            outside=outside,
        )
        if problems:
            rows.append((str(entry), stat.filemode(mode), "; ".join(problems)))
    kw: dict[str, Any] = {
        "measurements": {
            "entries_checked": len(entries) - len(unchecked),
            "entries_too_open": len(rows),
            "entries_not_checked": len(unchecked),
            "world_readable_files": world_readable,
        },
        "thresholds": {"entries_too_open_allowed": 0},
        "parameters": {
            "project_root": None if root_dir is None else str(root_dir),
            "allow_group_read": allow_group_read,
            "max_files": max_files,
            "truncated": len(entries) >= max_files,
        },
        "tables": [
            Table.build("Data files open to others", ["path", "mode", "problem"], rows + unchecked)
        ]
        if rows or unchecked
        else [],
    }
    if not rows:
        notes = []
        if world_readable:
            notes.append(f"{world_readable} readable by others as the default umask leaves them")
        if unchecked:
            notes.append(f"{len(unchecked)} could not be checked, e.g. {unchecked[0][0]}")
        note = f" ({'; '.join(notes)})" if notes else ""
        return CheckResult.passed(
            name,
            RUBRIC_IDS,
            f"none of {len(entries)} data files and directories is writable by every user, "
            f"a readable secret or a readable copy outside the project{note}",
            **kw,
        )
    first = rows[0]
    return CheckResult.failed(
        name,
        RUBRIC_IDS,
        f"{len(rows)} of {len(entries)} data paths are open to other users, "
        f"e.g. {first[0]} ({first[1]}: {first[2]}); fix with chmod o-w (o-r, g-r for secrets)",
        **kw,
    )


def _walk(root: Path, budget: int) -> list[Path]:
    if budget <= 0:
        return []
    if not root.is_dir():
        return [root]
    found = [root]
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for name in [*sorted(subdirs), *sorted(files)]:
            if len(found) >= budget:
                return found
            found.append(Path(directory) / name)
    return found


def _permission_problems(
    mode: int, is_dir: bool, allow_group_read: bool, *, secret: bool, outside: bool
) -> list[str]:
    problems = []
    if mode & stat.S_IWOTH:
        problems.append("world-writable")
    if is_dir:
        return problems
    if secret and mode & (stat.S_IROTH | stat.S_IRGRP):
        problems.append("a secret readable by " + ("others" if mode & stat.S_IROTH else "group"))
    elif outside and mode & stat.S_IROTH:
        problems.append("world-readable outside the project")
    elif not allow_group_read and mode & stat.S_IRGRP:
        problems.append("group-readable")
    return problems
