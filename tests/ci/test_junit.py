"""``--junitxml`` with ``--mlscore``: the score on the testsuite, plain per-test properties
only when asked for, no Python reprs, no pytest warning (read back with ElementTree)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

SUITE = """
    import pytest

    @pytest.fixture
    def team(request):
        request.node.user_properties.append(("team", "fraud-ml"))

    @pytest.mark.mlscore("data-1", "monitor-2")
    def test_schema_holds(team, mlscore_record):
        mlscore_record("rows checked", 32561, item="data-1")

    @pytest.mark.mlscore("infra-1")
    def test_training_is_reproducible():
        assert 1 == 2, "predictions differ"

    @pytest.mark.mlscore("model-6")
    @pytest.mark.skip(reason="no slices yet")
    def test_slices():
        pass

    def test_unclaimed():
        pass
"""


def _junit(pytester: pytest.Pytester, *args: str) -> ET.Element:
    pytester.makepyfile(SUITE)
    pytester.makepyprojecttoml("[tool.mltestscore]\n")
    result = pytester.runpytest(
        "--mlscore", "--junitxml=out/junit.xml", "-W", "error::pytest.PytestWarning", *args
    )
    result.assert_outcomes(passed=2, failed=1, skipped=1)  # no warnings among them
    result.stdout.no_fnmatch_line("*PytestWarning*")
    result.stdout.no_fnmatch_line("*warning*")
    return ET.parse(pytester.path / "out" / "junit.xml").getroot()


def _properties(node: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in node.findall("properties/property")}


def _cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", ""): case for case in root.iter("testcase")}


def test_it_puts_the_score_band_rubric_and_sections_on_the_testsuite(
    pytester: pytest.Pytester,
) -> None:
    suite = _junit(pytester).find("testsuite")
    assert suite is not None
    assert _properties(suite) == {
        "mlscore.score": "0",
        "mlscore.max_score": "7",
        "mlscore.band": "0",
        "mlscore.band_label": "More of a research project than a productionized system",
        "mlscore.rubric": "ml-test-score-2017",
        "mlscore.credit_mode": "passed",
        "mlscore.partial": "false",
        "mlscore.section.data": "1",
        "mlscore.section.model": "0",
        "mlscore.section.infra": "0",
        "mlscore.section.monitor": "1",
        "mlscore.items.automated": "2",
        "mlscore.items.failing": "1",
        "mlscore.items.missing": "25",
    }


def test_by_default_tests_carry_only_their_own_properties(pytester: pytest.Pytester) -> None:
    cases = _cases(_junit(pytester))
    assert _properties(cases["test_schema_holds"]) == {"team": "fraud-ml"}
    for name in ("test_training_is_reproducible", "test_slices", "test_unclaimed"):
        assert cases[name].find("properties") is None
    text = (pytester.path / "out" / "junit.xml").read_text()
    assert "mltestscore." not in text
    assert "{'" not in text


def test_asked_for_tests_carry_their_rubric_ids_and_credit_as_plain_values(
    pytester: pytest.Pytester,
) -> None:
    cases = _cases(_junit(pytester, "--mlscore-junit-properties"))
    assert _properties(cases["test_schema_holds"]) == {
        "team": "fraud-ml",
        "mlscore.rubric_ids": "data-1 monitor-2",
        "mlscore.credit.data-1": "automated",
        "mlscore.credit.monitor-2": "automated",
    }
    assert _properties(cases["test_training_is_reproducible"]) == {
        "mlscore.rubric_ids": "infra-1",
        "mlscore.credit.infra-1": "failing",
    }
    assert _properties(cases["test_slices"]) == {
        "mlscore.rubric_ids": "model-6",
        "mlscore.credit.model-6": "none",
    }
    assert cases["test_unclaimed"].find("properties") is None


def test_the_scorecard_is_unchanged_by_junit(pytester: pytest.Pytester) -> None:
    """Taking the evidence off the reports happens after the scorer read it."""
    import json

    _junit(pytester, "--mlscore-junit-properties")
    items = {
        i["id"]: i
        for i in json.loads((pytester.path / "reports/mlscore.json").read_text())["items"]
    }
    assert items["data-1"]["status"] == "automated"
    assert items["data-1"]["evidence"][0]["measurements"][0]["value"] == 32561
    assert items["infra-1"]["status"] == "failing"


def test_under_xdist_the_junit_file_is_the_same(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    pytester.makepyprojecttoml("[tool.mltestscore]\n")
    result = pytester.runpytest_subprocess(
        "--mlscore", "--junitxml=out/junit.xml", "--mlscore-junit-properties", "-p", "xdist",
        "-n", "2", "-p", "no:cacheprovider", "-W", "error::pytest.PytestWarning",
    )  # fmt: skip
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    root = ET.parse(pytester.path / "out" / "junit.xml").getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert _properties(suite)["mlscore.section.data"] == "1"
    assert _properties(_cases(root)["test_schema_holds"])["mlscore.credit.data-1"] == "automated"
    assert "{'" not in (pytester.path / "out" / "junit.xml").read_text()
