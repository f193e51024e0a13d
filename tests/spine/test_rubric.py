"""The rubric files are data: loaded, validated, extended, and kept in step with docs and code."""

from __future__ import annotations

from pathlib import Path

import pytest

from mltestscore.checks import all_checks
from mltestscore.docs import render_rubric_docs
from mltestscore.errors import RubricError
from mltestscore.rubric import bundled_rubrics, load_rubric, rubric_dir, validate_rubric_data

PAPER_IDS = [
    f"{section}-{n}" for section in ("data", "model", "infra", "monitor") for n in range(1, 8)
]
PAPER_TITLES = {
    "data-1": "Feature expectations are captured in a schema",
    "model-5": "A simpler model is not better",
    "infra-5": "The model allows debugging by observing the step-by-step computation of "
    "training or inference on a single example",
    "monitor-7": "Prediction quality has not regressed on served data",
}


def test_the_2017_rubric_has_the_papers_28_items_in_four_sections_of_seven() -> None:
    rubric = load_rubric("ml-test-score-2017")
    assert list(rubric.item_ids) == PAPER_IDS
    assert [len(s.items) for s in rubric.sections] == [7, 7, 7, 7]
    for item_id, title in PAPER_TITLES.items():
        assert rubric.item(item_id).title == title


@pytest.mark.parametrize("name", bundled_rubrics())
def test_every_bundled_rubric_file_follows_the_json_schema(name: str) -> None:
    import yaml

    path = rubric_dir() / f"{name}.yaml"
    validate_rubric_data(yaml.safe_load(path.read_text(encoding="utf-8")), path)


def test_every_item_has_guidance_and_remediation_text() -> None:
    for name in bundled_rubrics():
        for item in load_rubric(name).items:
            assert len(item.guidance) > 40, item.id
            assert len(item.remediation) > 20, item.id


def test_the_2016_rubric_reuses_the_2017_items_with_its_own_points() -> None:
    old, new = load_rubric("ml-test-score-2016"), load_rubric("ml-test-score-2017")
    assert old.item_ids == new.item_ids
    assert (old.points.manual, old.points.automated) == (1, 2)
    assert [b.upper for b in old.bands][:-1] == [2 * b.upper for b in new.bands[:-1]]


def test_a_company_rubric_can_extend_the_paper_with_its_own_items(tmp_path: Path) -> None:
    path = tmp_path / "company.yaml"
    path.write_text(
        "schema_version: 1\nextends: ml-test-score-2017\nid: acme\ntitle: ACME rubric\n"
        "sections:\n  - id: data\n    items:\n      - id: data-8\n        title: Data is licensed\n"
        "        guidance: Every data set has a licence on file.\n"
        "        remediation: Record the licence of each data set.\n"
    )
    rubric = load_rubric(str(path))
    assert rubric.item_ids[7] == "data-8"
    assert rubric.section_max(rubric.sections[0]) == 8
    assert rubric.points == load_rubric("ml-test-score-2017").points


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: [unclosed", "is not valid YAML"),
        ("- a list", "must hold a mapping"),
        ("schema_version: 1\nid: x\n", "is invalid at (top level): 'title' is a required"),
        (
            "schema_version: 1\nextends: ml-test-score-2017\nid: x\ntitle: X\n"
            "sections:\n  - id: data\n    items:\n      - id: data-9\n        title: T\n",
            "is invalid at sections/0/items/0: 'guidance' is a required property",
        ),
        ("schema_version: 1\nid: x\ntitle: X\n", "has no 'scoring'"),
        (
            "schema_version: 1\nextends: ml-test-score-2017\nid: x\ntitle: X\n"
            "sections:\n  - id: data\n    items:\n      - id: model-9\n        title: T\n"
            "        guidance: G\n        remediation: R\n",
            "must start with its section id 'data'",
        ),
    ],
)
def test_an_invalid_rubric_file_is_refused_with_the_file_and_the_place(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(RubricError) as caught:
        load_rubric(str(path))
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_an_unknown_rubric_name_lists_the_bundled_ones() -> None:
    with pytest.raises(RubricError, match=r"did you mean ml-test-score-2017"):
        load_rubric("ml-test-score-2071")


def test_rubric_files_that_extend_each_other_in_a_cycle_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("schema_version: 1\nextends: b.yaml\nid: a\ntitle: A\n")
    (tmp_path / "b.yaml").write_text("schema_version: 1\nextends: a.yaml\nid: b\ntitle: B\n")
    with pytest.raises(RubricError, match="cycle"):
        load_rubric(str(tmp_path / "a.yaml"))


DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "rubric.md"


def test_the_generated_rubric_docs_are_up_to_date() -> None:
    assert DOCS_PATH.read_text(encoding="utf-8") == render_rubric_docs(), (
        "docs/rubric.md is stale: run python -m mltestscore.docs"
    )


def test_every_built_in_check_names_rubric_ids_that_exist() -> None:
    ids = set(load_rubric().item_ids)
    for check in all_checks():
        assert check.rubric_ids, check.name
        assert set(check.rubric_ids) <= ids, (check.name, check.rubric_ids)
        assert check.description, check.name
        assert check.description != check.name, check.name


def test_the_remediation_text_names_the_checks_that_automate_each_item() -> None:
    rubric = load_rubric()
    missing = [
        (item_id, check.name)
        for check in all_checks()
        for item_id in check.rubric_ids
        if check.name not in rubric.item(item_id).remediation
    ]
    assert not missing, f"rubric remediation text does not name these checks: {missing}"
