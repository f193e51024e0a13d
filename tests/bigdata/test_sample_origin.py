"""A generated model check that ran on an engine-drawn sample of a large source says so in its
result: the engine, the rows of the source, the rows sampled, the seed and the data keys
(docs/bigdata.md, "The suite on a large source"). The data checks, which run in the engine
on the whole source, keep their own figures and get no sample seed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip("narwhals")
pytest.importorskip("polars")

# Loaded before pytester's module snapshot: it drops modules first imported inside a test,
# and pandas' Arrow extension types cannot be registered with pyarrow a second time.
import pandas.core.arrays.arrow.extension_types

from mltestscore.checks.result import CheckResult
from mltestscore.suite import catalog
from mltestscore.suite.config import Source, SuiteConfig
from mltestscore.suite.context import SuiteContext
from mltestscore.suite.plugin import compute_result

if TYPE_CHECKING:
    import pandas as pd

SAMPLE = 600  # the engine sample's size in these tests (100,000 in a real run)
WHERE = ("engine", "rows_scanned", "rows_sampled")


@pytest.fixture(autouse=True)
def _small_engine_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    from mltestscore.checks import _frames

    monkeypatch.setattr(_frames, "MODEL_SAMPLE_SIZE", SAMPLE)


def _polars(frame: pd.DataFrame) -> Any:
    import polars as pl

    return pl.from_pandas(frame).lazy()


def _dask(frame: pd.DataFrame) -> Any:
    import dask.dataframe as dd

    return dd.from_pandas(frame, npartitions=2)


def _context(
    model: Any, root: Path, make: Callable[[pd.DataFrame], Any], **frames: pd.DataFrame
) -> SuiteContext:
    """A suite whose data keys are ``module:callable`` sources returning engine frames."""
    data = {
        key: Source(key, f"data:{key}", function=lambda f=frame: make(f))
        for key, frame in frames.items()
    }
    config = SuiteConfig(
        source="pyproject.toml",
        root=root,
        model=Source("model", "models:adult", function=lambda: model),
        data=data,
        target="income",
        slices=("sex",),
        schema=root / "schema.json",
    )
    return SuiteContext(config)


def _spec(rubric_id: str, name: str) -> catalog.Spec:
    return next(s for s in catalog.SPECS if (s.rubric_id, s.name) == (rubric_id, name))


def _assert_same_judgement(plain: CheckResult, said: CheckResult) -> None:
    """The origin is added to the check's result and changes nothing else in it."""
    assert said.outcome == plain.outcome
    assert said.reason == plain.reason
    assert said.thresholds == plain.thresholds
    # seconds: the check's own timer
    added = {*WHERE, "bytes_read", "bytes_read_note", "sample_seed", "sampled_data", "seconds"}
    assert {k: v for k, v in said.measurements.items() if k not in added} == {
        k: v for k, v in plain.measurements.items() if k not in added
    }


@pytest.mark.parametrize("engine", ["polars", "dask"])
def test_a_model_check_on_an_engine_sample_says_which_engine_drew_how_many_rows_with_which_seed(
    engine: str,
    adult_model: Any,
    adult_split: tuple[pd.DataFrame, pd.DataFrame],
    tmp_path: Path,
) -> None:
    if engine == "dask":
        pytest.importorskip("dask.dataframe")
    make = _polars if engine == "polars" else _dask
    train, test = adult_split
    context = _context(adult_model, tmp_path, make, train=train, test=test)
    spec = _spec("model-6", "slices")
    result = compute_result(context, spec, "sex")
    assert result.measurements["engine"] == engine
    assert result.measurements["rows_scanned"] == len(test)
    assert result.measurements["rows_sampled"] == SAMPLE
    assert result.parameters["sample_seed"] == 0
    assert result.parameters["sampled_data"] == "test"
    assert result.measurements["bytes_read"] is None  # a frame built in memory
    assert str(result.measurements["bytes_read_note"]).startswith("test: the data is in")
    plain = spec.runner(context, "sex", catalog.options_for(spec, context.config))
    _assert_same_judgement(plain, result)


def test_a_check_reading_two_samples_counts_the_rows_of_both(
    adult_model: Any, adult_split: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """model-5 compares baselines fit on the training sample, scored on the test sample."""
    train, test = adult_split
    context = _context(adult_model, tmp_path, _polars, train=train, test=test)
    result = compute_result(context, _spec("model-5", "baselines"), None)
    assert result.outcome in ("passed", "failed"), result.reason
    assert result.measurements["engine"] == "polars"
    assert result.measurements["rows_scanned"] == len(train) + len(test)
    assert result.measurements["rows_sampled"] == 2 * SAMPLE
    assert result.parameters["sampled_data"] == "test, train"


def test_the_data_checks_report_the_whole_source_and_no_sample_seed(
    adult_model: Any,
    adult_split: tuple[pd.DataFrame, pd.DataFrame],
    halves: tuple[pd.DataFrame, pd.DataFrame],
    tmp_path: Path,
) -> None:
    """Drift and the schema read the samples' columns, then run in the engine on the whole
    data; the schema is inferred from the training source inside the serving item."""
    reference, current = (h.drop(columns=["event_time"]) for h in halves)
    context = _context(adult_model, tmp_path, _polars, train=reference, serving=current)
    drift = compute_result(context, _spec("monitor-3", "drift"), None)
    assert drift.measurements["engine"] == "polars"
    assert drift.measurements["rows_scanned"] == len(reference) + len(current)
    schema = compute_result(context, _spec("monitor-2", "schema"), "serving")
    assert schema.outcome == "passed", schema.reason
    assert schema.measurements["rows_scanned"] == len(current)
    for result in (drift, schema):
        assert "sample_seed" not in result.parameters
        assert "sampled_data" not in result.parameters


def test_a_model_check_on_data_read_whole_in_pandas_says_nothing_of_a_sample(
    adult_model: Any, adult_split: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    train, test = adult_split
    context = _context(adult_model, tmp_path, lambda frame: frame, train=train, test=test)
    result = compute_result(context, _spec("model-6", "slices"), "sex")
    assert not set(WHERE) & set(result.measurements)
    assert "sample_seed" not in result.parameters


def test_a_model_check_on_a_spark_sample_says_spark_drew_it(
    spark: Any, adult_model: Any, adult_split: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    from tests.bigdata.test_spark import _spark_frame

    train, test = adult_split
    context = _context(
        adult_model, tmp_path, lambda frame: _spark_frame(spark, frame), train=train, test=test
    )
    result = compute_result(context, _spec("model-6", "slices"), "sex")
    assert result.outcome in ("passed", "failed"), result.reason
    assert result.measurements["engine"] == "spark"
    assert result.measurements["rows_scanned"] == len(test)
    assert result.measurements["rows_sampled"] == SAMPLE
    assert result.parameters["sample_seed"] == 0
    assert result.parameters["sampled_data"] == "test"


def test_the_scorecard_says_where_a_model_check_ran_on_a_uri_source(
    pytester: pytest.Pytester,
    adult_model: Any,
    adult_split: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """`pytest --mlscore` on a project whose data keys are file:// URIs: the slice check's
    evidence in the JSON scorecard carries the Polars sample's origin, and the HTML page
    shows it on the entry's "ran on" line."""
    import json

    from mltestscore import artifacts
    from tests.bigdata.test_lazy_sources import _hive_folder
    from tests.suite.conftest import TRUSTED, pyproject_text

    train, test = adult_split
    uris = {}
    for key, frame in (("train", train), ("test", test)):
        (pytester.path / key).mkdir()
        uris[key] = Path(_hive_folder(frame, pytester.path / key)).as_uri() + "/"
    model = artifacts.save_model(adult_model, pytester.path / "model.skops")
    keys = {"model": str(model), "model_trusted": TRUSTED, **uris}
    keys.update(target="income", slices=["race"])
    pytester.path.joinpath("pyproject.toml").write_text(pyproject_text(keys))
    # in a process of its own: an in-process run imports pandas again, and pyarrow refuses
    # pandas' extension types a second time in this one
    result = pytester.runpytest_subprocess("--mlscore", "-k", "slices", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 1, result.stdout.str()
    card = json.loads((pytester.path / "reports" / "mlscore.json").read_text())
    items = {item["id"]: item for item in card["items"]}
    (check,) = [e for e in items["model-6"]["evidence"] if e["kind"] == "check"]
    assert check["measurements"]["engine"] == "polars"
    assert check["measurements"]["rows_scanned"] == len(test)
    assert check["measurements"]["rows_sampled"] == len(test)  # fewer rows than 100,000
    assert check["parameters"]["sample_seed"] == 0
    assert check["measurements"]["bytes_read"] > 0  # the local files' footers, counted
    html = (pytester.path / "reports" / "mlscore.html").read_text()
    assert (
        f"<dt>ran on</dt><dd>engine = <b>polars</b></dd><dd>rows_scanned = <b>{len(test)}</b>"
        in html
    )


def test_drift_on_a_feature_functions_columns_says_which_engine_drew_its_samples(
    adult_model: Any, halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """With `features = "module:function"` drift compares the built columns in pandas, on the
    two engine samples: its own `engine = pandas` and sample row counts give way to where the
    samples came from."""
    import dataclasses

    reference, current = (h.drop(columns=["event_time"]) for h in halves)
    context = _context(adult_model, tmp_path, _polars, train=reference, serving=current)

    def build(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.drop(columns=["income"])

    config = dataclasses.replace(
        context.config, feature_fn=Source("features", "features:build", function=build)
    )
    result = compute_result(SuiteContext(config), _spec("monitor-3", "drift"), None)
    assert result.measurements["engine"] == "polars"
    assert result.measurements["rows_scanned"] == len(reference) + len(current)
    assert result.measurements["rows_sampled"] == 2 * SAMPLE
    assert result.measurements["reference_rows"] == result.measurements["current_rows"] == SAMPLE
    assert result.parameters["sampled_data"] == "serving, train"
