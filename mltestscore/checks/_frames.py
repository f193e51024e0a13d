"""What a dataset is and how the data checks scan it without holding it in memory.

The data checks accept a pandas DataFrame or one CSV / Parquet file (read whole by pandas: the
fast path for data that fits) and, besides, data that may not fit: a folder of Parquet files
(hive partitions included), a glob, a URI of Parquet data (``s3://``, ``gs://``, ``az://``,
``file://``, ``https://``, ...), a single Parquet file larger than
:data:`PANDAS_FILE_LIMIT_BYTES`, a pyarrow Table or Dataset, a Polars (Lazy)Frame, a DuckDB
relation, a Spark or a Dask DataFrame. Those become a :class:`Scan`: a narwhals LazyFrame over
the engine that holds the data, so each aggregate is written once (narwhals expressions) and
runs in Polars, DuckDB, Spark or Dask; only one-row aggregates, group counts bounded by the
caller and a bounded row sample come back to Python.

Files are scanned with DuckDB: it streams Parquet with projection pushdown, reads hive
partitions and globs, and enforces a memory budget (``memory_limit``, spilling to disk past
it), which Polars' streaming engine does not offer. The measurement behind the choice is in
``docs/bigdata.md``. A URI is scanned with Polars instead: its object-store reader reads
S3, GCS, Azure, HTTP and local files natively, while DuckDB needs its httpfs extension,
downloaded at run time, which an offline build machine cannot fetch. The heavy libraries are
imported only here, inside the functions.
"""

from __future__ import annotations

import glob as globbing
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mltestscore.checks._storage_options import unknown_storage_option
from mltestscore.checks.registry import CheckInputError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import narwhals as nw
    import pandas as pd

__all__ = [
    "DUCKDB_MEMORY_LIMIT",
    "MODEL_SAMPLE_SIZE",
    "PANDAS_FILE_LIMIT_BYTES",
    "DataURI",
    "Projection",
    "Scan",
    "is_scannable",
    "is_uri",
    "open_scan",
]

# A single Parquet file up to this size is read whole by pandas (the fast path): in memory it
# takes about 3-5x its size on disk, which stays well under a gigabyte.
PANDAS_FILE_LIMIT_BYTES = 256 * 1024 * 1024
# DuckDB's memory budget for file scans (it spills to a temporary folder beyond it). Can be
# changed with the MLTESTSCORE_DUCKDB_MEMORY_LIMIT environment variable.
DUCKDB_MEMORY_LIMIT = "1GB"
# The model checks predict in pandas: on a large source they get this many rows drawn by the
# engine (seed 0), which bounds their memory and keeps their intervals narrow.
MODEL_SAMPLE_SIZE = 100_000
_SAMPLE_HASH = "__mltestscore_row_hash"
_PARQUET_SUFFIXES = (".parquet", ".pq")
# What Polars' object-store reader opens (polars.scan_parquet): anything else is refused by
# name rather than handed to an engine that fails with its own message.
URI_SCHEMES = frozenset(
    {"s3", "s3a", "gs", "gcs", "az", "azure", "abfs", "abfss", "file", "http", "https", "hf"}
)
_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True)
class DataURI:
    """A URI of Parquet data with the ``storage_options`` Polars' object-store reader opens
    it with (an endpoint, a region, credentials, ``skip_signature``...): how the suite hands
    a URI on when ``[tool.mltestscore.storage_options]`` is set. Values are strings, as Polars
    takes them."""

    uri: str
    storage_options: tuple[tuple[str, str], ...] = ()


def _engine_of(data: Any) -> str | None:
    """The engine holding ``data`` when it is a lazily scannable object, else None."""
    module = type(data).__module__.split(".")[0]
    name = type(data).__name__
    if module == "polars" and name in {"LazyFrame", "DataFrame"}:
        return "polars"
    if module == "duckdb" and "Relation" in name:
        return "duckdb"
    if module == "pyspark" and name == "DataFrame":
        return "spark"
    if module == "dask" and name == "DataFrame":
        return "dask"
    if module == "pyarrow" and name in {"Table", "FileSystemDataset", "Dataset", "UnionDataset"}:
        return "duckdb"
    return None


@dataclass(frozen=True)
class Projection:
    """Some columns of a large source, opened as a :class:`Scan` of the source (its files
    included, for the bytes read) narrowed to ``columns``: how the suite hands a check only
    the columns it judges."""

    source: Any
    columns: tuple[str, ...]


def _is_glob(text: str) -> bool:
    return any(char in text for char in "*?[")


def is_uri(data: Any) -> bool:
    """Whether ``data`` is a string with a scheme (``s3://...``): read by Polars, never
    looked up as a local path."""
    return isinstance(data, str) and _URI.match(data) is not None


def is_scannable(data: Any) -> bool:
    """Whether ``data`` takes the lazy path (anything but a pandas frame or a small file)."""
    if isinstance(data, Projection | DataURI) or _engine_of(data) is not None or is_uri(data):
        return True
    if not isinstance(data, str | os.PathLike):
        return False
    text = os.fspath(data)
    if _is_glob(str(text)):
        return True
    path = Path(text)
    if path.is_dir():
        return True
    is_parquet = path.suffix.lower() in _PARQUET_SUFFIXES
    return is_parquet and path.is_file() and path.stat().st_size > PANDAS_FILE_LIMIT_BYTES


@dataclass
class Scan:
    """A dataset behind a narwhals LazyFrame, with the engine that computes on it.

    ``rows_sampled`` records the largest sample drawn from it, so a result can say how much
    of the data came to Python as rows (aggregates aside).
    """

    frame: nw.LazyFrame[Any]
    engine: str
    origin: str
    rows_sampled: int = 0
    _rows: int | None = field(default=None, repr=False)
    # Parquet files behind the frame (a DuckDB file pattern or a list of paths), for the
    # bytes a pass reads; None when they are not known, and then ``no_files`` says why.
    files: str | list[str] | None = None
    passes: int = 0
    no_files: str = "the data is in the engine's memory, not read from Parquet files"

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.collect_schema().names()]

    def dtypes(self) -> dict[str, Any]:
        """Column name → narwhals dtype."""
        return {str(k): v for k, v in self.frame.collect_schema().items()}

    def rows(self) -> int:
        """The number of rows (one count in the engine, remembered)."""
        if self._rows is None:
            import narwhals as nw

            self._rows = int(self.aggregate([nw.len().alias("rows")])["rows"])
        return self._rows

    def aggregate(self, expressions: Sequence[nw.Expr]) -> dict[str, Any]:
        """One row of aggregates, computed by the engine, as plain Python values."""
        table = self.collect(self.frame.select(*expressions))
        return {str(k): _plain(v) for k, v in table.iloc[0].items()}

    def collect(self, frame: nw.LazyFrame[Any]) -> pd.DataFrame:
        """A *bounded* lazy result as pandas (the caller bounds it: aggregates, top groups)."""
        self.passes += 1
        if self.engine == "duckdb" and _has_decimals(frame):
            # DuckDB's own pandas conversion turns decimals into floats; Arrow keeps them exact,
            # as pandas reads them from Parquet (decimal.Decimal objects)
            return frame.collect("pyarrow").to_native().to_pandas()
        return frame.collect("pandas").to_native()

    def sample(self, sample_size: int, seed: int, columns: Sequence[str] | None = None) -> Any:
        """At most ``sample_size`` rows drawn by the engine, as a pandas DataFrame.

        The rows with the smallest values of a seeded hash of the whole row (bottom-k
        sampling): uniform over distinct rows, the same rows on every run and in any
        partitioning, and computed with a bounded top-k in every engine; identical rows are
        kept or dropped together. All rows come back, unhashed, when there are not more.
        """
        selected = list(columns) if columns is not None else self.columns
        if self.rows() <= sample_size:
            frame = self.collect(self.frame.select(*selected))
        else:
            frame = self.collect(_bottom_k(self, selected, sample_size, seed))
        self.rows_sampled = max(self.rows_sampled, len(frame))
        return frame

    def epoch_seconds(self, column: str) -> nw.Expr:
        """A datetime column as seconds since the epoch (each engine spells it its own way)."""
        import datetime as dt

        import narwhals as nw

        expr = nw.col(column)
        if self.engine == "spark":
            return expr.cast(nw.Float64)  # Spark casts a timestamp to epoch seconds
        if self.engine == "duckdb":
            since = expr - nw.lit(dt.datetime(1970, 1, 1))
            return since.dt.total_microseconds() / 1e6
        return expr.dt.timestamp("us") / 1e6

    def where(self, columns: Sequence[str] | None = None) -> dict[str, object]:
        """Where a check ran, for its measurements. ``bytes_read`` is the compressed size of
        the Parquet column chunks of ``columns`` (all by default) in the files the scan
        covers, from their footers, times the queries run: the bytes of the files the scans
        read at most (projection pushdown reads no other column), not the bytes decoded.
        When it cannot be known it is None and ``bytes_read_note`` says why."""
        read, why = self.bytes_read(columns)
        where: dict[str, object] = {
            "engine": self.engine,
            "rows_scanned": self.rows(),
            "rows_sampled": self.rows_sampled,
            "bytes_read": read,
        }
        if read is None:
            where["bytes_read_note"] = why
        return where

    def bytes_read(self, columns: Sequence[str] | None = None) -> tuple[int | None, str]:
        """The bytes the queries so far read (see :meth:`where`), or None and why not."""
        if self.files is None:
            return None, self.no_files
        import duckdb

        wanted = set(self.columns if columns is None else columns)
        try:
            table = duckdb.connect().execute(
                "select path_in_schema, sum(total_compressed_size) "
                "from parquet_metadata(?) group by path_in_schema",
                [self.files],
            )
            sizes = table.fetchall()
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            return None, f"the Parquet footers could not be read ({first})"
        per_pass = sum(int(size) for name, size in sizes if str(name) in wanted)
        return per_pass * self.passes, ""


def _has_decimals(frame: nw.LazyFrame[Any]) -> bool:
    import narwhals as nw

    return any(isinstance(dtype, nw.Decimal) for dtype in frame.collect_schema().values())


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _bottom_k(scan: Scan, columns: Sequence[str], k: int, seed: int) -> nw.LazyFrame[Any]:
    import narwhals as nw

    native: Any = scan.frame.to_native()
    if scan.engine == "polars":
        import polars as pl

        hashed = native.select(columns).with_columns(
            pl.struct(pl.all()).hash(seed).alias(_SAMPLE_HASH)
        )
        picked: nw.LazyFrame[Any] = nw.from_native(
            hashed.bottom_k(k, by=_SAMPLE_HASH).drop(_SAMPLE_HASH)
        )
        return picked
    if scan.engine == "spark":
        from pyspark.sql import functions as F

        chosen = native.select(*columns)
        hashed = chosen.withColumn(_SAMPLE_HASH, F.xxhash64(F.lit(seed), *chosen.columns))
        ordered: nw.LazyFrame[Any] = nw.from_native(
            hashed.orderBy(_SAMPLE_HASH).limit(k).drop(_SAMPLE_HASH)
        )
        return ordered
    if scan.engine == "dask":
        return _from_dask(_dask_bottom_k(native, columns, k, seed))
    quoted = ", ".join(_quote(c) for c in columns)
    query = f"select {quoted} from t order by hash({int(seed)}, {quoted}) limit {int(k)}"
    queried: nw.LazyFrame[Any] = nw.from_native(native.query("t", query))
    return queried


def _dask_bottom_k(native: Any, columns: Sequence[str], k: int, seed: int) -> Any:
    """Dask's bottom-k: each partition's rows hashed by pandas (seeded by ``hash_key``, the
    index left out, so a row hashes alike in any partitioning), then ``nsmallest``, which
    keeps at most k rows per partition before combining them. The hash column is dropped
    partition by partition: Dask 2026.11 pushes a ``drop`` after ``nsmallest`` below it, and
    the sort key is then gone."""
    import pandas as pd

    chosen = native[list(columns)]
    key = f"{seed % 10**16:016d}"

    def hashed(part: pd.DataFrame) -> pd.DataFrame:
        row_hash = pd.util.hash_pandas_object(part, index=False, hash_key=key)
        return part.assign(**{_SAMPLE_HASH: row_hash})

    meta = chosen._meta.assign(**{_SAMPLE_HASH: pd.Series(dtype="uint64")})
    picked = chosen.map_partitions(hashed, meta=meta).nsmallest(k, _SAMPLE_HASH)
    return picked.map_partitions(lambda part: part.drop(columns=[_SAMPLE_HASH]), meta=chosen._meta)


def _from_dask(data: Any) -> nw.LazyFrame[Any]:
    """A Dask DataFrame as a narwhals LazyFrame. Narwhals warns that its Dask support will
    move to a plugin package (``narwhals-dask``); until that package is published the
    built-in support is the one there is, so that one warning is not passed on."""
    import warnings

    import narwhals as nw

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Dask support is moving", category=FutureWarning)
        frame: nw.LazyFrame[Any] = nw.from_native(data)
    return frame


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _duckdb_connection() -> Any:
    import duckdb

    connection = duckdb.connect()
    limit = os.environ.get("MLTESTSCORE_DUCKDB_MEMORY_LIMIT", DUCKDB_MEMORY_LIMIT)
    connection.execute(f"set memory_limit = '{limit}'")
    # spill to the system's temporary folder, not to a .tmp folder in the user's project
    spill = Path(tempfile.gettempdir()) / "mltestscore-duckdb"
    connection.execute(f"set temp_directory = '{spill}'")
    return connection


def _parquet_files(text: str, argument: str) -> tuple[str, bool]:
    """A DuckDB file pattern for a folder, a glob or a file, and whether hive partitions
    (``key=value`` folders) are in it."""
    if _is_glob(text):
        matches = globbing.glob(text, recursive=True)
        if not matches:
            raise CheckInputError(argument, f"no file matches {text!r}")
        return text, any("=" in part for m in matches for part in Path(m).parts)
    path = Path(text)
    if path.is_file():
        return str(path), False
    files = [p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _PARQUET_SUFFIXES]
    if not files:
        raise CheckInputError(argument, f"folder {text!r} holds no .parquet file")
    hive = any("=" in part for f in files for part in f.relative_to(path).parts[:-1])
    suffixes = {f.suffix for f in files}
    pattern = str(path / "**" / ("*" + suffixes.pop() if len(suffixes) == 1 else "*"))
    return pattern, hive


_SCHEME_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/")  # s3a:/, hdfs://, dbfs:/


def _local_parquet(paths: Sequence[str]) -> tuple[list[str] | None, str]:
    """The local Parquet files behind ``paths`` (files, folders, globs, ``file:`` URIs) for
    the bytes a scan reads, or None and why they are not counted. Files elsewhere (an object
    store, HDFS) are not counted: their footers would be read again over the network."""
    from urllib.parse import unquote, urlparse

    files: list[str] = []
    for given in paths:
        text = given
        scheme = _SCHEME_PREFIX.match(text)
        if scheme and scheme.group(1).lower() == "file":
            text = unquote(urlparse(text).path)
        elif scheme:
            return None, (
                f"the files are in {scheme.group(1).lower()}://, not on this machine; their "
                "footers are not read again over the network to count the bytes"
            )
        try:
            pattern, _ = _parquet_files(text, "data")
        except CheckInputError as exc:
            return None, f"the Parquet files behind {text!r} were not found ({exc})"
        files.extend(
            [pattern] if Path(pattern).is_file() else globbing.glob(pattern, recursive=True)
        )
    if not files:
        return None, "no Parquet file was found behind the data"
    other = [f for f in files if Path(f).suffix.lower() not in _PARQUET_SUFFIXES]
    if other:
        return None, f"the data is not only Parquet files ({other[0]!r})"
    return sorted(set(files)), ""


def _with_files(scan: Scan, paths: Sequence[str] | None, why_not: str) -> Scan:
    """``scan`` with the local Parquet files behind ``paths`` recorded for its bytes read;
    when ``paths`` is None, ``why_not`` says why they are not known."""
    if paths is None:
        scan.no_files = why_not
        return scan
    files, why = _local_parquet(paths)
    scan.files = files
    scan.no_files = why
    return scan


def _polars_sources(frame: Any) -> tuple[list[str] | None, str]:
    """The paths a Polars LazyFrame scans with ``scan_parquet`` (as given: files, folders,
    globs or URIs), read from its plan's JSON form, or None and why not. That form is
    deprecated in Polars (its warning is not passed on); when it is gone, or the plan reads
    anything but Parquet paths, the bytes are not counted."""
    import json
    import warnings

    try:
        # the plan as text first: the JSON form of a frame held in memory holds its data
        lines = [line.strip() for line in frame.explain(optimized=False).splitlines()]
    except Exception:
        return None, "Polars does not say which files this LazyFrame scans"
    if any(line.startswith("DF [") for line in lines):
        return None, "the data is in the engine's memory, not read from Parquet files"
    if any("SCAN" in line and not line.startswith("Parquet SCAN") for line in lines):
        return None, "the LazyFrame does not only scan Parquet files"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan = json.loads(frame.serialize(format="json"))
    except Exception:
        return None, "Polars does not say which files this LazyFrame scans"
    scans: list[Any] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("Scan"), dict):
                scans.append(node["Scan"])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(plan)
    paths: list[str] = []
    for scan in scans:
        sources = scan.get("sources")
        listed = sources.get("Paths") if isinstance(sources, dict) else None
        if "Parquet" not in (scan.get("scan_type") or {}) or not isinstance(listed, list):
            return None, "the LazyFrame does not only scan Parquet files"
        paths.extend(str(p.get("inner", p) if isinstance(p, dict) else p) for p in listed)
    if not scans:
        return None, "the data is in the engine's memory, not read from Parquet files"
    return paths, ""


def _spark_sources(frame: Any) -> tuple[list[str] | None, str]:
    """The files a Spark DataFrame is read from (``inputFiles()``: every file of its
    relations, before any partition pruning), or None and why not."""
    try:
        files = [str(f) for f in frame.inputFiles()]
    except Exception as exc:
        return None, f"Spark did not list the DataFrame's files ({type(exc).__name__})"
    if not files:
        return None, "the data is in the engine's memory, not read from Parquet files"
    return files, ""


def _dask_sources(frame: Any) -> tuple[list[str] | None, str]:
    """The paths a Dask DataFrame's ``read_parquet`` reads, from its expression's leaves,
    or None and why not (a leaf that is not a Parquet read: a pandas frame, a CSV file)."""
    expr = getattr(frame, "expr", None)
    if expr is None:
        return None, "Dask does not say which files this DataFrame reads"
    paths: list[str] = []
    seen: set[int] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children = list(node.dependencies())
        stack.extend(children)
        if children:
            continue
        name = type(node).__name__
        if not name.startswith("ReadParquet"):
            if name.startswith("FromPandas") or name.startswith("FromArray"):
                return None, "the data is in the engine's memory, not read from Parquet files"
            return None, f"the data is not only read from Parquet files (Dask's {name})"
        path = node.operand("path")
        paths.extend([str(path)] if isinstance(path, str | os.PathLike) else map(str, path))
    return paths, ""


def _open_uri(uri: str, argument: str, options: Sequence[tuple[str, str]] = ()) -> Scan:
    """A Polars scan of the Parquet data at ``uri`` (a file, a folder ending in ``/`` with
    hive partitions read, or a glob). Credentials and endpoints come from the standard
    environment variables (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ...), which Polars'
    object-store reader honours, and from ``options`` (its ``storage_options``), whose names
    are checked first (Polars ignores unknown ones). The schema is read here, so a missing
    object or a refused request is an error now, naming the argument and the URI."""
    match = _URI.match(uri)
    scheme = match.group(1).lower() if match else ""
    if scheme not in URI_SCHEMES:
        known = ", ".join(f"{s}://" for s in sorted(URI_SCHEMES))
        raise CheckInputError(
            argument, f"{uri!r}: the scheme {scheme}:// is not supported (Polars reads {known})"
        )
    for name, _ in options:
        problem = unknown_storage_option(name, [scheme])
        if problem is not None:
            raise CheckInputError(argument, f"storage option {name!r}: {problem}")
    try:
        import polars as pl
    except ImportError:
        raise CheckInputError(
            argument, f"{uri!r}: reading a URI needs polars: pip install 'mltestscore[bigdata]'"
        ) from None
    import narwhals as nw

    target = uri
    if scheme == "file" and not uri.endswith("/") and Path(uri[len("file://") :]).is_dir():
        target = uri + "/"  # Polars reads a local folder only when its URI ends in "/"
    try:
        storage = dict(options) or None
        frame = pl.scan_parquet(target, hive_partitioning=True, storage_options=storage)
        frame.collect_schema()
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "expanded paths were empty" in first:
            first = "no Parquet file there"
        raise CheckInputError(
            argument, f"{uri!r} could not be read ({type(exc).__name__}: {first[:300]})"
        ) from None
    scan = Scan(nw.from_native(frame), "polars", f"Parquet {uri!r}")
    return _with_files(scan, [target], "")


def open_scan(data: Any, argument: str) -> Scan:
    """A :class:`Scan` of ``data`` (see :func:`is_scannable`), or a CheckInputError naming
    ``argument`` when it cannot be opened."""
    try:
        import narwhals as nw
    except ImportError:
        raise CheckInputError(
            argument, "scanning data lazily needs narwhals: pip install 'mltestscore[bigdata]'"
        ) from None
    if isinstance(data, Projection):
        whole = open_scan(data.source, argument)
        missing = [c for c in data.columns if c not in whole.columns]
        if missing:
            raise CheckInputError(argument, f"has no column(s) {missing}")
        whole.frame = whole.frame.select(*data.columns)
        return whole
    if isinstance(data, DataURI):
        return _open_uri(data.uri, argument, data.storage_options)
    if is_uri(data):
        return _open_uri(data, argument)
    engine = _engine_of(data)
    try:
        if engine == "polars":
            native = data.lazy() if type(data).__name__ == "DataFrame" else data
            scan = Scan(nw.from_native(native), "polars", f"Polars {type(data).__name__}")
            return _with_files(scan, *_polars_sources(native))
        if engine == "spark":
            return _with_files(
                Scan(nw.from_native(data), "spark", "Spark DataFrame"), *_spark_sources(data)
            )
        if engine == "dask":
            return _with_files(
                Scan(_from_dask(data), "dask", "Dask DataFrame"), *_dask_sources(data)
            )
        if engine == "duckdb" and "Relation" in type(data).__name__:
            scan = Scan(nw.from_native(data), "duckdb", "DuckDB relation")
            scan.no_files = "a DuckDB relation does not say which files it reads"
            return scan
        if engine == "duckdb":  # pyarrow: DuckDB reads Tables and Datasets without a copy
            relation = _duckdb_connection().from_arrow(data)
            origin = f"pyarrow {type(data).__name__}"
            scan = Scan(nw.from_native(relation), "duckdb", origin)
            files = getattr(data, "files", None)
            if files is None:
                return scan  # a Table: in memory
            if type(getattr(data, "format", None)).__name__ != "ParquetFileFormat":
                return _with_files(scan, None, "the dataset is not made of Parquet files")
            return _with_files(scan, list(files), "")
        text = os.fspath(data)
        pattern, hive = _parquet_files(str(text), argument)
        connection = _duckdb_connection()
        relation = connection.read_parquet(pattern, hive_partitioning=hive, union_by_name=True)
        origin = f"Parquet {str(text)!r}"
        return Scan(nw.from_native(relation), "duckdb", origin, files=pattern)
    except CheckInputError:
        raise
    except ImportError as exc:
        raise CheckInputError(
            argument, f"{exc.name or 'a library'} is needed to scan {type(data).__name__}"
        ) from None
    except Exception as exc:  # the engine's own error, named
        message = f"could not be scanned ({type(exc).__name__}: {exc})"
        raise CheckInputError(argument, message) from None
