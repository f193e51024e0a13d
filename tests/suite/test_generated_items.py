"""``pytest --mlscore`` with suite keys, end to end through pytester: generated items are
collected next to the project's tests, selectable, reported like tests, and scored."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.filterwarnings("ignore")


def test_it_collects_one_item_per_applicable_check_next_to_the_projects_tests(
    pytester: pytest.Pytester, project: Any
) -> None:
    project.write(pytester, project.keys())
    result = pytester.runpytest("--mlscore", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "tests/test_own.py::test_feature_code_is_tested",
            "mlscore::data-2::importance",
            "mlscore::data-5::pii[train]",
            "mlscore::data-5::pii[serving]",
            "mlscore::model-6::slices[education]",
            "mlscore::model-7::fairness[sex]",
            "mlscore::model-7::proxies[sex]",
            "mlscore::monitor-3::drift",
            "mlscore::monitor-7::served_quality",
        ]
    )
    # Inputs that are not configured generate nothing: no registry, train_fn, schema.
    for absent in ("infra-7::rollback", "infra-1::", "infra-3::", "data-1::", "data-4::"):
        assert absent not in result.stdout.str()


def test_minus_k_selects_generated_items_by_rubric_id_check_and_parameter(
    pytester: pytest.Pytester, project: Any
) -> None:
    project.write(pytester, project.keys(sensitive=["sex", "race"]))
    result = pytester.runpytest("--mlscore", "--collect-only", "-q", "-k", "model-7 and race")
    result.stdout.fnmatch_lines(
        ["mlscore::model-7::fairness[race]", "mlscore::model-7::proxies[race]"]
    )
    assert "fairness[sex]" not in result.stdout.str()
    assert "test_own" not in result.stdout.str()
    by_check = pytester.runpytest("--mlscore", "--collect-only", "-q", "-k", "check_feature_drift")
    by_check.stdout.fnmatch_lines(["mlscore::monitor-3::drift", "*1/* tests collected*"])


def test_a_generated_item_that_passes_is_automated_evidence_for_its_rubric_item(
    pytester: pytest.Pytester, project: Any
) -> None:
    project.write(pytester, project.keys())
    result = pytester.runpytest("--mlscore", "-k", "pii or test_own")
    result.assert_outcomes(passed=3)
    items = {item["id"]: item for item in project.scorecard(pytester)["items"]}
    assert items["data-5"]["status"] == "automated"
    checks = [e for e in items["data-5"]["evidence"] if e["kind"] == "check"]
    assert {e["nodeid"] for e in checks} == {
        "mlscore::data-5::pii[train]",
        "mlscore::data-5::pii[serving]",
    }
    assert items["data-7"]["status"] == "automated"  # the project's own test counts too


def test_a_failing_check_shows_its_reason_and_figures_without_a_traceback(
    pytester: pytest.Pytester, project: Any
) -> None:
    project.write(pytester, project.keys(serving=str(project.shifted)))
    result = pytester.runpytest("--mlscore", "-k", "drift")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ mlscore::monitor-3::drift _*",
            "check_feature_drift failed: * features drift: *age (PSI *",
            "  measured: *drifted_features=*",
            "  thresholds: psi=0.2*",
            "  Feature drift, most severe first*",
            "*age | numeric*",
        ]
    )
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "runners.py" not in output
    items = {item["id"]: item for item in project.scorecard(pytester)["items"]}
    assert items["monitor-3"]["status"] == "failing"
    (run,) = [e for e in items["monitor-3"]["evidence"] if e["kind"] == "test"]
    assert run["message"].startswith("check_feature_drift failed: ")


def test_thresholds_from_the_configuration_reach_the_check(
    pytester: pytest.Pytester, project: Any
) -> None:
    project.write(
        pytester,
        project.keys(serving=str(project.shifted)),
        thresholds={"monitor-3.psi": 50.0, "drift.ks_threshold": 1.0, "drift.js_threshold": 1.0,
                    "drift.linf_threshold": 1.0},
    )  # fmt: skip
    result = pytester.runpytest("--mlscore", "-k", "drift")
    result.assert_outcomes(passed=1)
    items = {item["id"]: item for item in project.scorecard(pytester)["items"]}
    (check,) = [e for e in items["monitor-3"]["evidence"] if e["kind"] == "check"]
    assert check["thresholds"]["psi"] == 50.0


def test_items_whose_inputs_are_missing_are_not_collected_and_the_scorecard_says_which_key(
    pytester: pytest.Pytester, project: Any
) -> None:
    project.write(pytester, project.keys(serving=None))
    result = pytester.runpytest("--mlscore", "-k", "test_own")
    result.assert_outcomes(passed=1)
    items = {item["id"]: item for item in project.scorecard(pytester)["items"]}
    assert any("`serving = " in hint for hint in items["monitor-3"]["hints"])
    assert any("`registry = " in hint for hint in items["infra-7"]["hints"])
    assert any("[[tool.mltestscore.manual]]" in hint for hint in items["model-1"]["hints"])
    assert items["data-7"]["hints"] == []  # automated items carry no hint


def test_naming_only_a_test_file_runs_that_file_alone_and_a_folder_adds_the_suite(
    pytester: pytest.Pytester, project: Any
) -> None:
    project.write(pytester, project.keys())
    result = pytester.runpytest("--mlscore", "--collect-only", "-q", "tests/test_own.py")
    assert "mlscore::" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*1 test collected*"])
    folder = pytester.runpytest("--mlscore", "--collect-only", "-q", "tests")
    folder.stdout.fnmatch_lines(["tests/test_own.py::*", "mlscore::data-2::importance"])


def test_a_serving_sample_breaking_the_schema_fails_monitor_2_but_not_data_1(
    pytester: pytest.Pytester, project: Any
) -> None:
    import pandas as pd

    pytester.path.joinpath("schemas").mkdir()
    # A shift within the observed ranges is drift (monitor-3); a schema is broken by values
    # far out of range: a working week of 400 hours in a tenth of the rows.
    broken = pd.read_parquet(project.serving)
    broken.loc[: len(broken) // 10, "hours-per-week"] = 400
    broken.to_parquet(pytester.path / "broken.parquet", index=False)
    project.write(pytester, project.keys(serving="broken.parquet", schema="schemas/train.json"))
    result = pytester.runpytest("--mlscore", "-k", "schema and (train or serving)")
    result.assert_outcomes(passed=1, failed=1)  # train passes, the broken serving data fails
    assert (pytester.path / "schemas" / "train.json").is_file()  # inferred on the first run
    items = {item["id"]: item for item in project.scorecard(pytester)["items"]}
    assert items["data-1"]["status"] == "automated"
    assert items["monitor-2"]["status"] == "failing"


def test_a_model_and_data_given_as_callables_are_loaded_once_and_used(
    pytester: pytest.Pytester, project: Any
) -> None:
    calls = pytester.path / "calls.txt"
    pytester.makepyfile(
        loaders=f"""
        import pandas as pd
        from mltestscore.artifacts import load_model

        def _called(name):
            with open({str(calls)!r}, "a") as handle:
                handle.write(name + "\\n")

        def model():
            _called("model")
            return load_model({str(project.model)!r}, trusted=True).model

        def train():
            _called("train")
            return pd.read_parquet({str(project.train)!r})
        """
    )
    keys = project.keys(model="loaders:model", train="loaders:train", test=None, serving=None)
    project.write(pytester, keys)
    result = pytester.runpytest("--mlscore", "-k", "slices or weak_segments or pii")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 3
    assert sorted(calls.read_text().split()) == ["model", "train"]


def test_pytest_xdist_workers_collect_the_same_items_and_score_the_same(
    pytester: pytest.Pytester, project: Any
) -> None:
    pytest.importorskip("xdist")
    project.write(pytester, project.keys())
    # weak_segments' tables hold numpy floats, which execnet cannot ship unless converted
    selection = ["-k", "pii or permissions or automation or weak_segments or test_own"]
    serial = pytester.runpytest("--mlscore", *selection)
    serial_card = project.scorecard(pytester)
    parallel = pytester.runpytest_subprocess("--mlscore", "-n", "2", *selection)
    parallel_card = project.scorecard(pytester)
    assert parallel.ret == serial.ret
    parallel.stdout.fnmatch_lines(["*2 workers*"])

    def statuses(card: dict[str, Any]) -> dict[str, str]:
        return {item["id"]: item["status"] for item in card["items"]}

    assert statuses(parallel_card) == statuses(serial_card)
    assert parallel_card["score"] == serial_card["score"]
    hints = {item["id"]: item["hints"] for item in serial_card["items"]}
    assert {item["id"]: item["hints"] for item in parallel_card["items"]} == hints


def test_a_project_without_suite_keys_is_told_which_keys_would_automate_what(
    pytester: pytest.Pytester, project: Any
) -> None:
    project.write(pytester, {})
    result = pytester.runpytest("--mlscore")
    result.assert_outcomes(passed=1)  # nothing generated
    items = {item["id"]: item for item in project.scorecard(pytester)["items"]}
    assert any("`model = " in hint and "`train = " in hint for hint in items["model-6"]["hints"])
    assert any("mltestscore init" in hint for hint in items["monitor-1"]["hints"])
