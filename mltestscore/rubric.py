"""Load rubric files: the single source of truth for ids, text and scoring.

Rubrics are YAML validated against ``rubric.schema.json``. A file may ``extends`` another
(a bundled id or a path relative to it): top-level fields override, sections merge by id and
items replace or append by id. That is how the 2016 rubric reuses the 2017 text with its own
points and bands, and how a company adds its own items.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from mltestscore.cache import load_cached, store_cached
from mltestscore.errors import RubricError

DEFAULT_RUBRIC = "ml-test-score-2017"
SCHEMA_FILE = "rubric.schema.json"
RUBRIC_CACHE = "rubrics"  # parsed rubric files, in the per-user cache folder
MODIFIED_LABEL = "modified, not the official rubric"


def rubric_dir() -> Path:
    """The bundled rubric folder: inside the wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "rubrics", here.parent / "rubric"):
        if (candidate / SCHEMA_FILE).is_file():
            return candidate
    raise RubricError(f"the bundled rubric folder is missing (looked in {here} and its parent)")


def bundled_rubrics() -> list[str]:
    return sorted(p.stem for p in rubric_dir().glob("*.yaml"))


@dataclass(frozen=True)
class Item:
    id: str
    section: str
    title: str
    guidance: str
    remediation: str


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Band:
    upper: float | None  # inclusive; None means no upper bound
    label: str

    def describe_interval(self, lower: float | None) -> str:
        """The band as the paper writes it: ``0``, ``(0, 1]``, ``>5``."""
        if lower is None:
            return _number(self.upper or 0)
        if self.upper is None:
            return f">{_number(lower)}"
        return f"({_number(lower)}, {_number(self.upper)}]"


@dataclass(frozen=True)
class Points:
    missing: float
    manual: float
    automated: float


@dataclass(frozen=True)
class Rubric:
    id: str
    title: str
    source: str
    points: Points
    bands: tuple[Band, ...]
    sections: tuple[Section, ...]
    origin: str  # the file (or chain of files) it was read from
    #: sha256 of the rubric's content after ``extends`` (:func:`fingerprint`).
    fingerprint: str = ""
    #: It calls itself by a shipped rubric's id but its content differs from the shipped one.
    modified: bool = False

    @property
    def notices(self) -> list[str]:
        """What every report must say about the rubric itself (a modified official one)."""
        if not self.modified:
            return []
        return [
            f"the rubric calls itself {self.id} but is {MODIFIED_LABEL} (fingerprint "
            f"{self.fingerprint[:12]}, read from {self.origin}): its scores are not the "
            "paper's and not comparable with official ones"
        ]

    @cached_property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    @cached_property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @cached_property
    def id_set(self) -> frozenset[str]:
        """For membership tests on every collected test item."""
        return frozenset(self.item_ids)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def section_max(self, section: Section) -> float:
        return len(section.items) * self.points.automated

    def band_index(self, score: float) -> int:
        """The first band whose inclusive upper bound is not below the score (half-open on
        the left, as the paper's intervals are)."""
        for index, band in enumerate(self.bands):
            if band.upper is None or score <= band.upper:
                return index
        return len(self.bands) - 1

    def band_interval(self, index: int) -> str:
        lower = self.bands[index - 1].upper if index > 0 else None
        return self.bands[index].describe_interval(lower)

    def closest_ids(self, unknown: str, count: int = 3) -> list[str]:
        return difflib.get_close_matches(unknown, self.item_ids, n=count, cutoff=0.5)

    def unknown_id_message(self, unknown: str) -> str:
        close = self.closest_ids(unknown)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"unknown rubric id {unknown!r} (rubric {self.id}){hint}"


def _number(value: float) -> str:
    return f"{value:g}"


@cache
def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((rubric_dir() / SCHEMA_FILE).read_text("utf-8"))
    return loaded


def _read_yaml(path: Path) -> dict[str, Any]:
    """The parsed rubric file, from the per-user cache when this exact file was parsed (and
    validated) before: PyYAML's import and parse would otherwise be most of the plugin's
    start-up cost."""
    try:
        source = path.read_bytes()
    except OSError as exc:
        raise RubricError(f"cannot read rubric file {path}: {exc.strerror or exc}") from None
    # The bundled rubrics are validated by the test suite; skipping the JSON Schema (and
    # its import) for them keeps `pytest --mlscore` start-up cheap. Users' files are checked
    # before they are cached, so the cache key includes the schema they were checked with.
    bundled = path.resolve().parent == rubric_dir().resolve()
    key = source if bundled else source + (rubric_dir() / SCHEMA_FILE).read_bytes()
    cached = load_cached(RUBRIC_CACHE, key)
    if isinstance(cached, dict):
        return cached
    data = _parse_yaml(source, path)
    if not bundled:
        validate_rubric_data(data, path)
    store_cached(RUBRIC_CACHE, key, data)
    return data


def _parse_yaml(source: bytes, path: Path) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser is 10x faster
    try:
        data = yaml.load(source.decode("utf-8"), Loader=loader)
    except UnicodeDecodeError as exc:
        raise RubricError(f"rubric file {path} is not UTF-8 text: {exc}") from None
    except yaml.YAMLError as exc:
        raise RubricError(f"rubric file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RubricError(f"rubric file {path} must hold a mapping at the top level")
    return data


def validate_rubric_data(data: dict[str, Any], path: Path) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise RubricError(f"rubric file {path} is invalid at {where}: {first.message}{more}")


def _resolve(name_or_path: str, relative_to: Path | None) -> Path:
    candidate = Path(name_or_path)
    if relative_to is not None and not candidate.is_absolute():
        relative = relative_to.parent / candidate
        if relative.is_file():
            return relative
    if candidate.suffix in {".yaml", ".yml"} or "/" in name_or_path or candidate.is_file():
        if not candidate.is_file():
            raise RubricError(f"rubric file {name_or_path} does not exist")
        return candidate
    bundled = rubric_dir() / f"{name_or_path}.yaml"
    if not bundled.is_file():
        close = difflib.get_close_matches(name_or_path, bundled_rubrics(), n=2)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise RubricError(
            f"unknown rubric {name_or_path!r}: not a file, and not one of the bundled rubrics "
            f"({', '.join(bundled_rubrics())}){hint}"
        )
    return bundled


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = {k: v for k, v in parent.items() if k != "sections"}
    merged.update({k: v for k, v in child.items() if k not in {"sections", "extends"}})
    sections = [dict(s, items=list(s["items"])) for s in parent.get("sections", [])]
    by_id = {s["id"]: s for s in sections}
    for child_section in child.get("sections", []):
        target = by_id.get(child_section["id"])
        if target is None:
            target = dict(child_section, items=[])
            sections.append(target)
            by_id[target["id"]] = target
        elif "title" in child_section:
            target["title"] = child_section["title"]
        for item in child_section["items"]:
            ids = [i["id"] for i in target["items"]]
            if item["id"] in ids:
                target["items"][ids.index(item["id"])] = item
            else:
                target["items"].append(item)
    merged["sections"] = sections
    return merged


def _load_merged(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    resolved = path.resolve()
    if resolved in seen:
        chain = " -> ".join(str(p) for p in (*seen, resolved))
        raise RubricError(f"rubric files extend each other in a cycle: {chain}")
    data = _read_yaml(path)
    _check_unique(data, str(path))
    parent_name = data.get("extends")
    if parent_name is None:
        return data
    parent = _load_merged(_resolve(parent_name, path), (*seen, resolved))
    return _merge(parent, data)


def fingerprint(data: dict[str, Any]) -> str:
    """sha256 of the rubric's content after ``extends``, as canonical JSON (sorted keys):
    the same for the same ids, text, points and bands whatever the file's layout."""
    content = {k: v for k, v in data.items() if k != "extends"}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def official_fingerprint(rubric_id: str) -> str | None:
    """The fingerprint of the shipped rubric with this id, or None when none ships with it.
    A rubric calling itself by a shipped id with any other content (easier points, other
    bands, fewer items, other guidance) is labelled modified in every report."""
    shipped = rubric_dir() / f"{rubric_id}.yaml"
    if rubric_id not in bundled_rubrics():
        return None
    return fingerprint(_load_merged(shipped, ()))


#: Points and band edges above this are refused: no rubric needs them, and the charts'
#: axes are drawn from them.
LARGEST_NUMBER = 1e6


def _number_in_rubric(value: object, what: str, origin: str) -> float:
    """A finite number between 0 and :data:`LARGEST_NUMBER`, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RubricError(f"rubric {origin}: {what} must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number) or not 0 <= number <= LARGEST_NUMBER:
        raise RubricError(
            f"rubric {origin}: {what} must be a finite number from 0 to {LARGEST_NUMBER:g}, "
            f"not {value!r}"
        )
    return number


def _check_unique(data: dict[str, Any], origin: str) -> None:
    """Section ids and item ids appear once each (a repeated section would be scored
    twice; in a file that ``extends`` another it would silently merge)."""
    section_ids = [s.get("id") for s in data.get("sections", []) if isinstance(s, dict)]
    repeated = sorted({i for i in section_ids if section_ids.count(i) > 1}, key=str)
    if repeated:
        raise RubricError(f"rubric {origin}: section id {repeated[0]!r} appears twice")
    for section in data.get("sections", []):
        items = section.get("items", []) if isinstance(section, dict) else []
        item_ids = [i.get("id") for i in items if isinstance(i, dict)]
        twice = sorted({i for i in item_ids if item_ids.count(i) > 1}, key=str)
        if twice:
            raise RubricError(f"rubric {origin}: item id {twice[0]!r} appears twice")


def _build(data: dict[str, Any], origin: str, shipped: bool = False) -> Rubric:
    if "scoring" not in data or "sections" not in data:
        missing = "scoring" if "scoring" not in data else "sections"
        raise RubricError(f"rubric {origin} has no {missing!r} (directly or through 'extends')")
    _check_unique(data, origin)
    scoring = data["scoring"]
    points = Points(
        **{k: _number_in_rubric(v, f"points.{k}", origin) for k, v in scoring["points"].items()}
    )
    if not points.missing <= points.manual <= points.automated:
        raise RubricError(f"rubric {origin}: points must grow from missing to manual to automated")
    if points.automated <= 0:
        raise RubricError(f"rubric {origin}: points.automated must be above 0")
    bands = tuple(
        Band(
            None
            if b["upper"] is None
            else _number_in_rubric(b["upper"], f"band {b['label']!r} upper", origin),
            b["label"],
        )
        for b in scoring["bands"]
    )
    uppers = [b.upper for b in bands]
    if uppers[-1] is not None or any(u is None for u in uppers[:-1]):
        raise RubricError(f"rubric {origin}: only the last band may (and must) have upper: null")
    finite = [float(u) for u in uppers[:-1] if u is not None]
    if finite != sorted(set(finite)):
        raise RubricError(f"rubric {origin}: band upper bounds must strictly increase")
    sections = []
    seen_ids: set[str] = set()
    for raw in data["sections"]:
        items = []
        for raw_item in raw["items"]:
            item_id = raw_item["id"]
            if not item_id.startswith(raw["id"] + "-"):
                raise RubricError(
                    f"rubric {origin}: item {item_id!r} must start with its section id "
                    f"{raw['id']!r} followed by '-'"
                )
            if item_id in seen_ids:
                raise RubricError(f"rubric {origin}: item id {item_id!r} appears twice")
            seen_ids.add(item_id)
            items.append(
                Item(
                    item_id,
                    raw["id"],
                    raw_item["title"],
                    " ".join(raw_item["guidance"].split()),
                    " ".join(raw_item["remediation"].split()),
                )
            )
        if not items:
            raise RubricError(f"rubric {origin}: section {raw['id']!r} has no items")
        sections.append(Section(raw["id"], raw.get("title", raw["id"]), tuple(items)))
    print_ = fingerprint(data)
    modified = not shipped and official_fingerprint(data["id"]) not in (None, print_)
    return Rubric(
        id=data["id"],
        title=f"{data['title']} ({MODIFIED_LABEL})" if modified else data["title"],
        source=" ".join(str(data.get("source", "")).split()),
        points=points,
        bands=bands,
        sections=tuple(sections),
        origin=origin,
        fingerprint=print_,
        modified=modified,
    )


@cache
def load_rubric(name_or_path: str = DEFAULT_RUBRIC) -> Rubric:
    """A bundled rubric by id (``ml-test-score-2016``) or a YAML file path."""
    path = _resolve(name_or_path, None)
    shipped = path.resolve() == (rubric_dir() / path.name).resolve()
    return _build(_load_merged(path, ()), str(path), shipped=shipped)
