"""The catalog as data: which items a configuration generates, in which order, with which
options, and the hints for what is not configured."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks.registry import get_check
from mltestscore.config import ProjectConfig
from mltestscore.errors import ConfigError
from mltestscore.rubric import load_rubric
from mltestscore.suite import catalog, suite_configured
from mltestscore.suite.config import SuiteConfig, parse_suite_config

OPTIONAL_KEYS = ["test", "serving", "sensitive", "slices", "registry", "time_column", "target"]


def suite(project: Any, **overrides: Any) -> SuiteConfig:
    settings_ = project.keys(**overrides)
    return parse_suite_config(
        ProjectConfig(source="pyproject.toml", root=project.folder, settings=settings_)
    )


def test_every_spec_names_a_registered_check_and_a_rubric_id_it_evidences() -> None:
    rubric = load_rubric("ml-test-score-2017")
    for spec in catalog.SPECS:
        info = get_check(spec.check)
        assert spec.rubric_id in rubric.id_set
        assert spec.rubric_id in (spec.evidences or info.rubric_ids), spec.name
        assert set(spec.defaults) <= spec.accepted_options(), spec.name


def test_node_names_are_unique_within_a_rubric_item(project: Any) -> None:
    names = [
        (spec.rubric_id, catalog.item_name(spec, param))
        for spec, param in catalog.applicable_specs(suite(project, sensitive=["sex", "race"]))
    ]
    assert len(names) == len(set(names))
    assert ("model-7", "fairness[race]") in names


@settings(max_examples=25, deadline=None)
@given(dropped=st.sets(st.sampled_from(OPTIONAL_KEYS)))
def test_a_configuration_generates_the_same_items_in_the_same_order_every_time(
    project: Any, dropped: set[str]
) -> None:
    config = suite(project, **dict.fromkeys(dropped))
    first = [(s.rubric_id, catalog.item_name(s, p)) for s, p in catalog.applicable_specs(config)]
    second = [(s.rubric_id, catalog.item_name(s, p)) for s, p in catalog.applicable_specs(config)]
    assert first == second
    covered = {rubric_id for rubric_id, _ in first}
    # An item either has generated checks or a hint: never both, never neither.
    for spec in catalog.SPECS:
        hints = catalog.hints(config).get(spec.rubric_id, [])
        assert (spec.rubric_id in covered) != bool(hints) or spec.rubric_id in catalog.PROCESS_HINTS


def test_a_missing_input_becomes_a_hint_that_names_the_key(project: Any) -> None:
    hints = catalog.hints(suite(project, serving=None, sensitive=None))
    assert any(h.startswith("set `serving = ") for h in hints["monitor-3"])
    assert any("`sensitive = " in h for h in hints["model-7"])
    assert "monitor-3" not in catalog.hints(suite(project))


def test_thresholds_accept_aliases_and_the_most_specific_scope_wins(project: Any) -> None:
    thresholds = {
        "model-7.demographic_parity_ratio": 0.7,
        "fairness.min_selection_rate_ratio": 0.75,
        "model-7.max_auc": 0.9,
    }
    config = dataclasses.replace(suite(project), thresholds=thresholds)
    fairness = next(s for s in catalog.SPECS if s.name == "fairness")
    proxies = next(s for s in catalog.SPECS if s.name == "proxies")
    assert catalog.options_for(fairness, config)["min_selection_rate_ratio"] == 0.75
    assert catalog.options_for(proxies, config)["max_auc"] == 0.9
    assert "max_auc" not in catalog.options_for(fairness, config)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("model-7.nope", "has no parameter 'nope'"),
        ("model-9.max_auc", "no generated check for 'model-9'"),
        ("fairness", "must look like"),
    ],
)
def test_an_unknown_threshold_is_a_config_error(key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        catalog.resolve_threshold(key, 0.5, "thresholds")


def test_only_keys_that_name_inputs_turn_the_suite_on() -> None:
    assert not suite_configured({})
    assert not suite_configured({"target": "y", "thresholds": {}, "manual": []})
    assert suite_configured({"train": "data/train.csv"})


def test_columns_are_read_from_the_header_of_a_csv_without_loading_it(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("a,b,label\n1,2,0\n")
    settings_ = {"train": "train.csv", "target": "labl"}
    with pytest.raises(ConfigError, match=r"target: column 'labl' .*did you mean 'label'"):
        parse_suite_config(ProjectConfig("pyproject.toml", tmp_path, settings_))


def test_the_zero_config_docs_list_every_generated_item_and_key() -> None:
    from mltestscore.config import SUITE_KEYS

    docs = (Path(__file__).parents[2] / "docs" / "zero-config.md").read_text()
    for spec in catalog.SPECS:
        assert f"`mlscore::{spec.rubric_id}::{spec.name}" in docs, spec.name
        assert f"`{spec.check}`" in docs
    for key in SUITE_KEYS:
        assert f"| `{key}` |" in docs, key


def test_each_generated_item_runs_with_one_thread_per_native_pool_unless_the_variable_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime)
    from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

    from mltestscore.checks.result import CheckResult
    from mltestscore.suite.context import SuiteContext
    from mltestscore.suite.plugin import THREADS_VARIABLE, compute_result

    seen: list[set[int]] = []

    def probe(context: Any, param: str | None, options: Any) -> CheckResult:
        seen.append({pool["num_threads"] for pool in threadpool_info()})
        return CheckResult.passed("check_pii", ("data-5",), "probed")

    spec = catalog.Spec("data-5", "probe", "check_pii", (), "probes the pools", probe)
    context = SuiteContext(SuiteConfig(source="pyproject.toml", root=tmp_path))
    compute_result(context, spec, None)
    compute_result(context, spec, None)  # the cached controller
    monkeypatch.setenv(THREADS_VARIABLE, "2")
    compute_result(context, spec, None)
    assert seen == [{1}, {1}, {2}]
