"""Credit only for what was tested (issue 15): each generated item evidences the one rubric
item it is listed under, and only with evidence that tests what the paper's item says. The
audit is data (``catalog.CREDIT``) rendered into docs/rubric.md."""

from __future__ import annotations

from typing import Any

import pytest

from mltestscore.checks.registry import get_check
from mltestscore.rubric import load_rubric
from mltestscore.suite import catalog

pytestmark = pytest.mark.filterwarnings("ignore")


def test_every_generated_item_evidences_only_the_rubric_item_it_is_listed_under() -> None:
    for spec in catalog.SPECS:
        claimed = spec.evidences or get_check(spec.check).rubric_ids
        assert tuple(claimed) == (spec.rubric_id,), spec.name


def test_the_credit_audit_says_what_earns_every_rubric_item_in_rubric_order() -> None:
    rubric = load_rubric("ml-test-score-2017")
    assert list(catalog.CREDIT) == [item.id for item in rubric.items]
    assert all(text.strip() for text in catalog.CREDIT.values())


def test_the_proxy_check_is_generated_only_beside_the_check_of_outcomes_by_group() -> None:
    specs = {spec.name: spec for spec in catalog.SPECS}
    assert set(specs["fairness"].needs) <= set(specs["proxies"].needs)
    assert specs["fairness"].params is specs["proxies"].params  # the same sensitive columns


def _claims_conftest(path: Any) -> str:
    return f"""
        import json

        def pytest_collection_modifyitems(items):
            claims = {{
                item.nodeid: [a for m in item.iter_markers("mlscore") for a in m.args]
                for item in items
                if item.nodeid.startswith("mlscore::")
            }}
            open({str(path)!r}, "w").write(json.dumps(claims))
    """


def test_each_collected_item_claims_only_its_own_rubric_item(
    pytester: pytest.Pytester, project: Any
) -> None:
    claims_file = pytester.path / "claims.json"
    pytester.path.joinpath("schemas").mkdir()
    project.write(
        pytester,
        project.keys(registry=str(project.registry), schema="schemas/train.json", model=None),
    )
    pytester.makeconftest(_claims_conftest(claims_file))
    pytester.runpytest("--mlscore", "--collect-only", "-q")
    import json

    claims = json.loads(claims_file.read_text())
    assert "mlscore::data-1::schema[train]" in claims
    assert "mlscore::monitor-2::schema[serving]" in claims
    for nodeid, ids in claims.items():
        assert ids == [nodeid.split("::")[1]], nodeid


def test_without_serving_data_monitor_2_earns_nothing_from_schema_checks_on_training_data(
    pytester: pytest.Pytester, project: Any
) -> None:
    pytester.path.joinpath("schemas").mkdir()
    project.write(pytester, project.keys(serving=None, schema="schemas/train.json"))
    result = pytester.runpytest("--mlscore", "-k", "schema and train")
    result.assert_outcomes(passed=1)
    items = {item["id"]: item for item in project.scorecard(pytester)["items"]}
    assert items["data-1"]["status"] == "automated"
    assert items["monitor-2"]["status"] == "missing"
    assert items["monitor-2"]["evidence"] == []
    assert any("serving" in hint for hint in items["monitor-2"]["hints"])


def test_without_a_target_model_7_is_not_credited_from_the_proxy_check(
    pytester: pytest.Pytester, project: Any
) -> None:
    project.write(pytester, project.keys(target=None))
    collected = pytester.runpytest("--mlscore", "--collect-only", "-q")
    assert "mlscore::model-7::" not in collected.stdout.str()
    pytester.runpytest("--mlscore", "-k", "model-7 or test_own")
    items = {item["id"]: item for item in project.scorecard(pytester)["items"]}
    assert items["model-7"]["status"] == "missing"
    assert any("target" in hint for hint in items["model-7"]["hints"])


def test_with_a_target_model_7_is_judged_on_the_models_outcomes_by_group(
    pytester: pytest.Pytester, project: Any
) -> None:
    project.write(pytester, project.keys())
    pytester.runpytest("--mlscore", "-k", "model-7")
    items = {item["id"]: item for item in project.scorecard(pytester)["items"]}
    checks = {e["check"]: e for e in items["model-7"]["evidence"] if e["kind"] == "check"}
    assert set(checks) == {"check_group_fairness", "check_sensitive_proxies"}
    fairness = checks["check_group_fairness"]
    assert fairness["outcome"] in {"passed", "failed"}  # it looked at outcomes by group
    assert "sex.selection_rate_ratio" in fairness["measurements"]
    passed = all(e["outcome"] == "passed" for e in checks.values())
    assert items["model-7"]["status"] == ("automated" if passed else "failing")
