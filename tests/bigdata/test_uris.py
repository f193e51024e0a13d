"""Data given as a URI (``file://``, ``s3://``) is read lazily by Polars and gives the verdicts
and figures of the same Parquet folder given as a path (tests/bigdata/parity.py says within
what). The s3:// tests run against moto's S3 server in this process (offline) and are
skipped when moto is not installed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip("narwhals")
pytest.importorskip("duckdb")
pytest.importorskip("polars")

from mltestscore.checks.drift import check_feature_drift
from mltestscore.checks.staleness import check_data_freshness
from tests.bigdata.parity import assert_same_result
from tests.bigdata.test_lazy_sources import _hive_folder

if TYPE_CHECKING:
    import pandas as pd

BUCKET = "mltestscore-data"


def _folders(reference: pd.DataFrame, current: pd.DataFrame, tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "ref").mkdir(parents=True)
    (tmp_path / "cur").mkdir(parents=True)
    return Path(_hive_folder(reference, tmp_path / "ref")), Path(
        _hive_folder(current, tmp_path / "cur")
    )


@pytest.mark.parametrize("planted", [False, True], ids=["clean", "drifted"])
def test_drift_on_file_uris_gives_the_folder_paths_verdict_and_figures(
    planted: bool,
    halves: tuple[pd.DataFrame, pd.DataFrame],
    drifted: pd.DataFrame,
    tmp_path: Path,
) -> None:
    reference, current = halves[0], (drifted if planted else halves[1])
    features = [c for c in reference.columns if c != "event_time"]
    ref, cur = _folders(reference, current, tmp_path)
    expected = check_feature_drift(str(ref), str(cur), columns=features)
    # one URI ends in "/", the other does not: both name the folder
    actual = check_feature_drift(ref.as_uri() + "/", cur.as_uri(), columns=features)
    assert expected.outcome == ("failed" if planted else "passed"), expected.reason
    assert_same_result(expected, actual)
    assert actual.measurements["engine"] == "polars"
    assert actual.measurements["rows_scanned"] == len(reference) + len(current)
    assert actual.measurements["bytes_read"] == expected.measurements["bytes_read"]


def test_freshness_on_a_file_uri_reads_the_newest_time_in_polars(
    halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    folder = Path(_hive_folder(halves[1], tmp_path))
    now = datetime.fromisoformat("2024-09-01T00:00:00+00:00")
    expected = check_data_freshness(str(folder), "event_time", now=now, max_age_days=2)
    actual = check_data_freshness(folder.as_uri(), "event_time", now=now, max_age_days=2)
    assert expected.outcome == actual.outcome == "failed", actual.reason
    for key in ("latest", "earliest", "age_days", "rows", "future_rows"):
        assert actual.measurements[key] == expected.measurements[key], key


def test_an_unsupported_scheme_is_an_error_naming_the_argument_and_the_uri(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    result = check_feature_drift(halves[0], "memory://bucket/train/")
    assert result.outcome == "error"
    assert "current" in result.reason
    assert "'memory://bucket/train/'" in result.reason
    assert "scheme memory:// is not supported" in result.reason


def test_a_missing_folder_or_file_uri_is_an_error_naming_the_argument_and_the_uri(
    halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    for uri in (tmp_path.as_uri() + "/nothing/", tmp_path.as_uri() + "/nothing.parquet"):
        result = check_feature_drift(uri, halves[1])
        assert result.outcome == "error"
        assert f"reference: {uri!r} could not be read" in result.reason
        assert "Traceback" not in result.reason


def test_a_uri_in_the_configuration_reaches_the_checks_as_the_uri(
    halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """``train = "file:///..."`` is not looked up as a path under the project: the model
    checks get a Polars-drawn sample, the data checks the URI itself."""
    from mltestscore.config import ProjectConfig
    from mltestscore.suite.config import parse_suite_config
    from mltestscore.suite.context import SuiteContext

    folder = Path(_hive_folder(halves[0], tmp_path))
    settings = {"train": folder.as_uri() + "/", "target": "income"}
    project = ProjectConfig(str(tmp_path / "pyproject.toml"), tmp_path, settings)
    context = SuiteContext(parse_suite_config(project))
    assert len(context.frame("train")) == len(halves[0])
    assert context.samples["train"]["engine"] == "polars"
    assert context.data("train") == folder.as_uri() + "/"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server in this process, on a free port."""
    pytest.importorskip("moto")
    pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The standard AWS variables pointing at the local server, as a user would set them."""
    for name, value in {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
    }.items():
        monkeypatch.setenv(name, value)
    return s3_endpoint


def _bucket(endpoint: str) -> Any:
    """A client of the local server, with the bucket made."""
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint)
    if BUCKET not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket=BUCKET)
    return client


def _upload(folder: Path, prefix: str, endpoint: str) -> str:
    client = _bucket(endpoint)
    for path in folder.rglob("*.parquet"):
        key = f"{prefix}/{path.relative_to(folder).as_posix()}"
        client.upload_file(str(path), BUCKET, key)
    return f"s3://{BUCKET}/{prefix}/"


@pytest.mark.parametrize("planted", [False, True], ids=["clean", "drifted"])
def test_drift_on_s3_uris_gives_the_folder_paths_verdict_and_figures(
    planted: bool,
    halves: tuple[pd.DataFrame, pd.DataFrame],
    drifted: pd.DataFrame,
    tmp_path: Path,
    s3_env: str,
) -> None:
    reference, current = halves[0], (drifted if planted else halves[1])
    features = [c for c in reference.columns if c != "event_time"]
    ref, cur = _folders(reference, current, tmp_path)
    expected = check_feature_drift(str(ref), str(cur), columns=features)
    run = "drifted" if planted else "clean"
    actual = check_feature_drift(
        _upload(ref, f"{run}/ref", s3_env), _upload(cur, f"{run}/cur", s3_env), columns=features
    )
    assert expected.outcome == ("failed" if planted else "passed"), expected.reason
    assert_same_result(expected, actual)
    assert actual.measurements["engine"] == "polars"
    assert actual.measurements["bytes_read"] is None
    assert "the files are in s3://" in str(actual.measurements["bytes_read_note"])


def test_a_missing_s3_prefix_or_bucket_is_an_error_naming_the_uri(
    halves: tuple[pd.DataFrame, pd.DataFrame], s3_env: str
) -> None:
    _bucket(s3_env)
    for uri in (f"s3://{BUCKET}/no-such-prefix/", "s3://no-such-bucket-here/train/"):
        result = check_feature_drift(halves[0], uri)
        assert result.outcome == "error"
        assert f"current: {uri!r} could not be read" in result.reason


def test_the_schema_is_inferred_and_validated_through_file_uris_in_polars(
    halves: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    """data-1 and monitor-2 on URIs: clean serving data passes, negated ages fail."""
    from mltestscore.suite.config import Source, SuiteConfig, _uri_reader
    from mltestscore.suite.context import SuiteContext
    from mltestscore.suite.runners import run_schema

    (tmp_path / "train").mkdir()
    (tmp_path / "serving").mkdir()
    train = Path(_hive_folder(halves[0], tmp_path / "train")).as_uri() + "/"
    planted = halves[1].assign(age=-halves[1]["age"])
    serving = Path(_hive_folder(planted, tmp_path / "serving")).as_uri() + "/"
    config = SuiteConfig(
        source="pyproject.toml",
        root=tmp_path,
        data={
            "train": Source("train", train, function=_uri_reader(train)),
            "serving": Source("serving", serving, function=_uri_reader(serving)),
        },
        target="income",
        schema=tmp_path / "schema.json",
    )
    context = SuiteContext(config)
    clean = run_schema(context, "train", {})
    broken = run_schema(context, "serving", {})
    assert clean.outcome == "passed", clean.reason
    assert broken.outcome == "failed"
    assert "age" in broken.reason
    assert broken.measurements["engine"] == "polars"
    assert broken.measurements["rows_scanned"] == len(planted)


AWS_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ALLOW_HTTP",
    "AWS_PROFILE",
)


def _suite(tmp_path: Path, settings: dict[str, Any]) -> Any:
    from mltestscore.config import ProjectConfig
    from mltestscore.suite.config import parse_suite_config

    return parse_suite_config(ProjectConfig(str(tmp_path / "pyproject.toml"), tmp_path, settings))


def test_storage_options_in_the_configuration_reach_the_bucket_without_the_environment(
    halves: tuple[pd.DataFrame, pd.DataFrame],
    drifted: pd.DataFrame,
    tmp_path: Path,
    s3_env: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`[tool.mltestscore.storage_options]` names the endpoint, the keys and the region: with
    no AWS variable set, the suite reads the s3:// data keys and drift gives the verdict and
    figures of the same folders read as paths."""
    from mltestscore.checks._frames import DataURI
    from mltestscore.suite.context import SuiteContext
    from mltestscore.suite.runners import run_drift

    features = [c for c in halves[0].columns if c != "event_time"]
    ref, cur = _folders(halves[0], drifted, tmp_path)
    train = _upload(ref, "options/train", s3_env)
    serving = _upload(cur, "options/serving", s3_env)
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    settings = {
        "train": train,
        "serving": serving,
        "storage_options": {
            "endpoint_url": s3_env,
            "access_key_id": "testing",
            "secret_access_key": "testing",
            "region": "us-east-1",
            "allow_http": True,
        },
    }
    context = SuiteContext(_suite(tmp_path, settings))
    assert len(context.frame("train")) == len(halves[0])
    data = context.data("train")
    assert isinstance(data, DataURI)
    assert ("allow_http", "true") in data.storage_options
    actual = run_drift(context, None, {"columns": features})
    expected = check_feature_drift(str(ref), str(cur), columns=features)
    assert expected.outcome == "failed", expected.reason
    assert_same_result(expected, actual)
    assert actual.measurements["engine"] == "polars"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("endpoint=http://x", r"storage_options must be a table of option = value"),
        ({"region": ["us-east-1"]}, r"storage_options\.region must be a string, a boolean or"),
        (
            {"endpont_url": "http://localhost:9000"},
            r"storage_options\.endpont_url: not an option Polars' object-store reader takes for "
            r"s3:// \(did you mean 'endpoint_url'\?\)",
        ),
    ],
    ids=["not-a-table", "a-list-value", "a-misspelt-name"],
)
def test_bad_storage_options_are_a_configuration_error_naming_the_key(
    options: object, message: str, tmp_path: Path
) -> None:
    from mltestscore.errors import ConfigError

    settings = {"train": "s3://bucket/train/", "storage_options": options}
    with pytest.raises(ConfigError, match=message):
        _suite(tmp_path, settings)


def test_storage_options_are_checked_against_the_schemes_of_the_data_uris(
    tmp_path: Path,
) -> None:
    """An AWS name is refused for gs:// data, and the options need a URI to apply to."""
    from mltestscore.errors import ConfigError

    with pytest.raises(ConfigError, match=r"storage_options\.aws_region: .* for gs://"):
        _suite(tmp_path, {"train": "gs://bucket/train/", "storage_options": {"aws_region": "x"}})
    (tmp_path / "train.csv").write_text("a,income\n1,0\n")
    with pytest.raises(ConfigError, match=r"storage_options: no data key .* is a URI"):
        _suite(tmp_path, {"train": "train.csv", "storage_options": {"region": "eu-west-1"}})
    options = {"skip_signature": True, "google_allow_http": "true", "max_retries": 3}
    suite = _suite(tmp_path, {"train": "gs://bucket/train/", "storage_options": options})
    data = suite.data["train"].function()
    assert data.storage_options == (
        ("skip_signature", "true"),
        ("google_allow_http", "true"),
        ("max_retries", "3"),
    )


def test_a_check_given_a_uri_with_a_misspelt_storage_option_names_it(
    halves: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    from mltestscore.checks._frames import DataURI

    uri = DataURI("s3://bucket/serving/", (("regoin", "eu-west-1"),))
    result = check_feature_drift(halves[0], uri)
    assert result.outcome == "error"
    assert "current: storage option 'regoin': not an option" in result.reason
    assert "did you mean 'region'?" in result.reason
