"""Schema checks (data-1, monitor-2) on the Adult sample with planted defects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mltestscore.checks import Outcome, all_checks
from mltestscore.checks._expectations import evaluate
from mltestscore.checks.registry import CheckInputError
from mltestscore.checks.schema import (
    check_schema,
    infer_schema,
    load_schema,
    save_schema,
    schema_to_dict,
)

if TYPE_CHECKING:
    import pandas as pd


def failed_types(result: Any) -> set[tuple[str, str]]:
    """(expectation, column) pairs listed as violated in a check result."""
    table = next(t for t in result.tables if t.title == "Violated expectations")
    return {(str(row[0]), str(row[1])) for row in table.rows}


def test_a_schema_inferred_from_training_data_passes_the_held_out_split(
    adult_schema: Any, test_features: pd.DataFrame
) -> None:
    result = check_schema(test_features, adult_schema)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["expectations"] > 30
    assert result.rubric_ids == ("data-1", "monitor-2")


def test_the_inferred_schema_is_a_great_expectations_suite_with_every_kind_of_expectation(
    adult_schema: Any,
) -> None:
    import great_expectations as gx

    assert isinstance(adult_schema, gx.ExpectationSuite)
    kinds = {e["type"] for e in schema_to_dict(adult_schema)["expectations"]}
    assert {
        "expect_table_columns_to_match_ordered_list",
        "expect_column_values_to_be_in_type_list",
        "expect_column_values_to_be_of_type",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
    } <= kinds


def test_it_flags_an_email_column_that_appears_in_serving_data(
    adult_schema: Any, serving: pd.DataFrame
) -> None:
    serving["email"] = [f"user{i}@example.com" for i in range(len(serving))]
    result = check_schema(serving, adult_schema)
    assert result.outcome is Outcome.FAILED
    assert "unexpected email" in result.reason


def test_it_names_a_renamed_column_and_fails_every_expectation_on_it(
    adult_schema: Any, serving: pd.DataFrame
) -> None:
    result = check_schema(serving.rename(columns={"age": "Age"}), adult_schema)
    assert result.outcome is Outcome.FAILED
    assert "missing age" in result.reason
    assert "unexpected Age" in result.reason
    assert ("expect_column_values_to_be_between", "age") in failed_types(result)


def test_it_flags_values_out_of_range_with_counts_and_examples(
    adult_schema: Any, serving: pd.DataFrame
) -> None:
    serving.loc[:99, "hours-per-week"] = 400
    result = check_schema(serving, adult_schema)
    assert result.outcome is Outcome.FAILED
    assert "hours-per-week observed range in [" in result.reason
    assert "100 values" in result.reason
    row = next(r for r in result.tables[0].rows if r[1] == "hours-per-week")
    assert row[2] == 100
    assert "400 x100" in str(row[4])


def test_it_flags_a_new_category(adult_schema: Any, serving: pd.DataFrame) -> None:
    serving.loc[:59, "workclass"] = "Space-force"
    result = check_schema(serving, adult_schema)
    assert result.outcome is Outcome.FAILED
    assert "'Space-force'" in result.reason
    assert failed_types(result) == {("expect_column_values_to_be_in_set", "workclass")}


def test_it_flags_a_column_ridden_with_nans(adult_schema: Any, serving: pd.DataFrame) -> None:
    serving.loc[serving.index[::4], "education"] = None
    result = check_schema(serving, adult_schema)
    assert result.outcome is Outcome.FAILED
    assert failed_types(result) == {("expect_column_values_to_not_be_null", "education")}
    assert "education not null" in result.reason


def test_a_rare_unseen_category_is_tolerated_but_reported(
    adult_schema: Any, serving: pd.DataFrame
) -> None:
    serving.loc[0, "workclass"] = "Space-force"
    result = check_schema(serving, adult_schema)
    assert result.outcome is Outcome.PASSED
    assert "within their tolerance" in result.reason
    assert any(t.title == "Tolerated violations" for t in result.tables)


def test_a_strict_schema_fails_a_single_unseen_category(
    train_features: pd.DataFrame, serving: pd.DataFrame
) -> None:
    strict = infer_schema(train_features, value_mostly=1.0)
    serving.loc[0, "workclass"] = "Space-force"
    assert check_schema(serving, strict).outcome is Outcome.FAILED


def test_the_fast_path_agrees_with_great_expectations_on_planted_defects(
    adult_schema: Any, serving: pd.DataFrame
) -> None:
    serving.loc[:99, "hours-per-week"] = 400
    serving.loc[:59, "workclass"] = "Space-force"
    serving.loc[serving.index[::4], "education"] = None
    serving["fnlwgt"] = serving["fnlwgt"].astype("float64")
    serving["email"] = "someone@example.com"
    expectations = schema_to_dict(adult_schema)["expectations"]
    fast = evaluate(serving, expectations)
    reference = evaluate(serving, expectations, engine="great_expectations")
    assert {o.engine for o in fast} == {"mltestscore"}
    assert {o.engine for o in reference} == {"great_expectations"}
    assert [o.success for o in fast] == [o.success for o in reference]
    assert [o.unexpected_count for o in fast] == [o.unexpected_count for o in reference]
    assert sum(not o.success for o in fast) == 5


def test_on_a_missing_column_it_is_stricter_than_great_expectations(
    adult_schema: Any, serving: pd.DataFrame
) -> None:
    # Great Expectations 1.x on pandas reports value expectations on a missing column as
    # passing; the fast path fails them, so a renamed column can never hide.
    renamed = serving.rename(columns={"age": "Age"})
    expectations = schema_to_dict(adult_schema)["expectations"]
    fast = evaluate(renamed, expectations)
    reference = evaluate(renamed, expectations, engine="great_expectations")
    on_age = [i for i, e in enumerate(expectations) if e["kwargs"].get("column") == "age"]
    assert all(not fast[i].success for i in on_age)
    others = [i for i in range(len(expectations)) if i not in on_age]
    assert [fast[i].success for i in others] == [reference[i].success for i in others]


def test_expectation_types_it_does_not_implement_run_in_great_expectations(
    serving: pd.DataFrame,
) -> None:
    suite = {
        "name": "hand-written",
        "expectations": [
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "sex", "value_set": ["Female", "Male"]},
            },
            {
                "type": "expect_column_values_to_match_regex",
                "kwargs": {"column": "education", "regex": "^[A-Z0-9]"},
            },
            {
                "type": "expect_column_mean_to_be_between",
                "kwargs": {"column": "age", "min_value": 60, "max_value": 70},
            },
        ],
    }
    result = check_schema(serving, suite)
    assert result.measurements["evaluated_here"] == 1
    assert result.measurements["evaluated_by_great_expectations"] == 2
    assert result.outcome is Outcome.FAILED
    assert failed_types(result) == {("expect_column_mean_to_be_between", "age")}
    assert "age column mean to be between" in result.reason


def test_a_schema_round_trips_through_json(
    adult_schema: Any, serving: pd.DataFrame, tmp_path: Path
) -> None:
    import great_expectations as gx

    path = save_schema(adult_schema, tmp_path / "schemas" / "adult.json")
    assert json.loads(path.read_text())["name"] == "adult"
    loaded = load_schema(path)
    assert isinstance(loaded, gx.ExpectationSuite)
    assert len(loaded.expectations) == len(adult_schema.expectations)
    serving.loc[:59, "workclass"] = "Space-force"
    from_path = check_schema(serving, path)
    from_suite = check_schema(serving, loaded)
    assert from_path.outcome is from_suite.outcome is Outcome.FAILED
    assert from_path.reason == from_suite.reason


def test_it_validates_csv_and_parquet_files(
    adult_schema: Any, test_features: pd.DataFrame, tmp_path: Path
) -> None:
    test_features.to_parquet(tmp_path / "serving.parquet")
    test_features.to_csv(tmp_path / "serving.csv", index=False)
    assert check_schema(tmp_path / "serving.parquet", adult_schema).ok
    assert check_schema(str(tmp_path / "serving.csv"), adult_schema).ok


def test_sampling_records_the_sample_size_and_seed(
    adult_schema: Any, test_features: pd.DataFrame
) -> None:
    result = check_schema(test_features, adult_schema, sample_size=500, seed=7)
    assert result.measurements["rows_validated"] == 500
    assert result.measurements["rows_total"] == len(test_features)
    assert result.parameters["sample_size"] == 500
    assert result.parameters["seed"] == 7


def test_the_old_sample_rows_spelling_still_works_with_a_warning(
    adult_schema: Any, test_features: pd.DataFrame
) -> None:
    with pytest.warns(DeprecationWarning, match="sample_size"):
        result = check_schema(test_features, adult_schema, sample_rows=300)
    assert result.measurements["rows_validated"] == 300


def test_an_id_column_gets_a_uniqueness_expectation_that_catches_duplicates(
    train_features: pd.DataFrame, serving: pd.DataFrame
) -> None:
    train = train_features.assign(customer_id=range(len(train_features)))
    suite = infer_schema(train)
    kinds = {
        e["type"]
        for e in schema_to_dict(suite)["expectations"]
        if e["kwargs"].get("column") == "customer_id"
    }
    assert "expect_column_values_to_be_unique" in kinds
    assert "expect_column_values_to_be_between" not in kinds
    serving = serving.assign(customer_id=[i // 2 for i in range(len(serving))])
    result = check_schema(serving, suite)
    assert ("expect_column_values_to_be_unique", "customer_id") in failed_types(result)


def test_a_string_column_stored_as_objects_is_checked_value_by_value(
    adult_schema: Any, serving: pd.DataFrame
) -> None:
    serving["sex"] = serving["sex"].astype(object)
    assert check_schema(serving, adult_schema).ok
    serving.loc[:99, "sex"] = 1
    result = check_schema(serving, adult_schema)
    assert ("expect_column_values_to_be_of_type", "sex") in failed_types(result)


@pytest.mark.parametrize(
    ("data", "schema", "named"),
    [
        ("empty", "suite", "data"),
        ("not a frame", "suite", "data"),
        ("frame", 42, "schema"),
        ("frame", {"name": "no expectations"}, "schema"),
        ("frame", "/no/such/schema.json", "/no/such/schema.json"),
        ("/no/such/data.parquet", "suite", "/no/such/data.parquet"),
    ],
)
def test_bad_input_gives_an_error_naming_the_argument(
    adult_schema: Any, serving: pd.DataFrame, data: Any, schema: Any, named: str
) -> None:
    frames = {"empty": serving.iloc[:0], "not a frame": [1, 2, 3], "frame": serving}
    result = check_schema(frames.get(data, data), adult_schema if schema == "suite" else schema)
    assert result.outcome is Outcome.ERROR
    assert named in result.reason


def test_an_unreadable_schema_file_is_named(tmp_path: Path, serving: pd.DataFrame) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = check_schema(serving, broken)
    assert result.outcome is Outcome.ERROR
    assert "broken.json" in result.reason


def test_a_schema_with_no_expectations_fails(serving: pd.DataFrame) -> None:
    result = check_schema(serving, {"name": "empty", "expectations": []})
    assert result.outcome is Outcome.FAILED


def test_inference_refuses_an_all_nan_column_and_names_it(train_features: pd.DataFrame) -> None:
    with pytest.raises(CheckInputError, match="'nothing'"):
        infer_schema(train_features.assign(nothing=float("nan")))


def test_the_check_is_registered_for_data_1_and_monitor_2() -> None:
    info = {c.name: c for c in all_checks()}["check_schema"]
    assert info.rubric_ids == ("data-1", "monitor-2")
    assert info.description.startswith("Validate data")


numeric_columns = st.lists(
    st.one_of(
        st.floats(-1e9, 1e9),
        st.just(float("nan")),
        st.integers(-1000, 1000).map(float),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=numeric_columns,
    labels=st.lists(st.sampled_from(["a", "b", "c", None]), min_size=1, max_size=40),
)
def test_any_frame_passes_the_schema_inferred_from_itself(
    values: list[float], labels: list[str | None]
) -> None:
    import pandas as pd

    size = min(len(values), len(labels))
    frame = pd.DataFrame({"x": values[:size], "label": pd.array(labels[:size], dtype="str")})
    if frame["x"].isna().all() or frame["label"].isna().all():
        with pytest.raises(CheckInputError):
            infer_schema(frame)
        return
    result = check_schema(frame, infer_schema(frame, null_margin=0.0, value_mostly=1.0))
    assert result.outcome is Outcome.PASSED, result.summary()


def test_a_suite_written_with_great_expectations_objects_validates(serving: pd.DataFrame) -> None:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(
        name="hand-written",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(column="age", min_value=17, max_value=60),
            gxe.ExpectColumnValuesToNotBeNull(column="occupation", mostly=0.9),
            gxe.ExpectColumnValuesToBeInSet(column="race", value_set=["White", "Black"]),
        ],
    )
    result = check_schema(serving, suite)
    assert result.outcome is Outcome.FAILED
    assert failed_types(result) == {
        ("expect_column_values_to_be_between", "age"),
        ("expect_column_values_to_be_in_set", "race"),
    }
    assert result.measurements["evaluated_here"] == 3
    reference = check_schema(serving, suite, engine="great_expectations")
    assert failed_types(reference) == failed_types(result)
    assert reference.tables[0].rows[0][2] == result.tables[0].rows[0][2]


def test_an_expectation_that_cannot_apply_fails_alone_with_its_reason(
    serving: pd.DataFrame,
) -> None:
    suite = {
        "name": "mistaken",
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "sex", "min_value": 0},
            },
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "age"}},
        ],
    }
    result = check_schema(serving, suite)
    assert result.outcome is Outcome.FAILED
    assert result.measurements["failed_expectations"] == 1
    assert "could not be evaluated" in result.reason
    assert "'sex' is not numeric" in result.reason


def test_mixed_bool_datetime_and_object_columns_get_a_schema_they_pass() -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "flag": [True, False] * 30,
            "when": pd.date_range("2020-01-01", periods=60),
            "mixed": pd.Series(["a", 1] * 30, dtype=object),
            "order_id": [f"o{i}" for i in range(60)],
        }
    )
    suite = infer_schema(frame)
    assert check_schema(frame, suite).ok
    assert check_schema(frame, suite, engine="great_expectations").ok
    later = frame.assign(when=frame["when"].astype("datetime64[ns]"))
    assert check_schema(later, suite).ok


@st.composite
def frames_and_expectations(draw: Any) -> tuple[Any, list[dict[str, Any]]]:
    """A small frame with a numeric and a text column (gaps included) and expectations on it
    with random bounds, sets, strictness and ``mostly``."""
    import pandas as pd

    size = draw(st.integers(1, 30))
    numbers = draw(
        st.lists(st.one_of(st.none(), st.integers(-50, 50)), min_size=size, max_size=size)
    )
    words = draw(
        st.lists(st.one_of(st.none(), st.sampled_from("abcde")), min_size=size, max_size=size)
    )
    frame = pd.DataFrame(
        {
            "x": pd.Series([float("nan") if v is None else float(v) for v in numbers]),
            "w": pd.Series(words, dtype="str"),
        }
    )
    mostly = draw(st.sampled_from([1.0, 0.9, 0.5]))
    low = draw(st.integers(-60, 20))
    expectations = [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {
                "column": "x",
                "min_value": low,
                "max_value": low + draw(st.integers(0, 80)),
                "strict_min": draw(st.booleans()),
                "mostly": mostly,
            },
        },
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {
                "column": "w",
                "value_set": sorted(draw(st.sets(st.sampled_from("abcde"), min_size=1))),
                "mostly": mostly,
            },
        },
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "w", "mostly": mostly},
        },
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "x"}},
        {
            "type": "expect_column_values_to_be_in_type_list",
            "kwargs": {"column": "x", "type_list": ["float64"]},
        },
    ]
    return frame, expectations


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames_and_expectations())
def test_the_fast_path_agrees_with_great_expectations_on_random_frames(
    case: tuple[Any, list[dict[str, Any]]],
) -> None:
    frame, expectations = case
    fast = evaluate(frame, expectations)
    reference = evaluate(frame, expectations, engine="great_expectations")
    assert [(o.success, o.unexpected_count) for o in fast] == [
        (o.success, o.unexpected_count) for o in reference
    ]


def test_an_unknown_engine_is_an_error_naming_it(adult_schema: Any, serving: pd.DataFrame) -> None:
    result = check_schema(serving, adult_schema, engine="spark")
    assert result.outcome is Outcome.ERROR
    assert "engine" in result.reason


def test_a_suite_saved_by_great_expectations_0x_is_read(serving: pd.DataFrame) -> None:
    legacy = {
        "expectation_suite_name": "legacy",
        "expectations": [
            {
                "expectation_type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "sex", "value_set": ["Female"]},
            }
        ],
    }
    result = check_schema(serving, legacy)
    assert result.outcome is Outcome.FAILED
    assert result.parameters["schema"] == "legacy"
    assert "'Male'" in result.reason


def test_an_expectation_great_expectations_rejects_fails_alone_and_says_why(
    serving: pd.DataFrame,
) -> None:
    suite = {
        "name": "typos",
        "expectations": [
            {"type": "expect_column_values_to_be_in_sett", "kwargs": {"column": "sex"}},
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "age", "low": 0}},
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "age"}},
        ],
    }
    result = check_schema(serving, suite)
    assert result.outcome is Outcome.FAILED
    assert result.measurements["failed_expectations"] == 2
    assert "expect_column_values_to_be_in_sett not found" in result.reason
    assert "Great Expectations rejects it" in result.reason
