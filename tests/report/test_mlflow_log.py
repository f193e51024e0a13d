"""``mltestscore log`` on a real MLflow (a SQLite tracking store in a temporary folder): the
scores as metrics, every item's status as a tag, the JSON and HTML as artifacts, to a named
run, MLflow's active run (``MLFLOW_RUN_ID``) or a new run in an experiment.

MLflow is not a dependency of mltestscore: these tests run in ``tox -e optional-backends``
and are skipped where mlflow is not installed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mltestscore.cli import main
from mltestscore.report.json_report import write_json
from mltestscore.scorecard_model import Scorecard

mlflow = pytest.importorskip("mlflow")
pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One SQLite tracking store for the module (creating its tables takes seconds), its
    artifacts in its own folder; each test logs to its own experiment or run."""
    folder = tmp_path_factory.mktemp("mlflow-log")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        yield f"sqlite:///{folder / 'mlflow.db'}", folder


@pytest.fixture
def tracking(store: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> str:
    """The store, named by the environment as a CI job would."""
    uri, folder = store
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    return uri


def _client(uri: str) -> Any:
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_it_logs_scores_item_statuses_and_both_reports_to_a_new_run_in_an_experiment(
    tracking: str, tmp_path: Path, demo_scorecard: Scorecard, capsys: pytest.CaptureFixture[str]
) -> None:
    report = write_json(demo_scorecard, tmp_path / "mlscore.json")
    assert main(["log", str(report), "--experiment", "credit-scoring"]) == 0
    client = _client(tracking)
    experiment = client.get_experiment_by_name("credit-scoring")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.metrics["mltestscore.score"] == demo_scorecard["score"]
    for section in demo_scorecard["sections"]:
        assert run.data.metrics[f"mltestscore.section.{section['id']}"] == section["score"]
    for item in demo_scorecard["items"]:
        assert run.data.tags[f"mltestscore.item.{item['id']}"] == item["status"]
    assert run.data.tags["mltestscore.partial"] == "false"
    assert run.info.status == "FINISHED"
    logged = {a.path for a in client.list_artifacts(run.info.run_id, "mltestscore")}
    assert logged == {"mltestscore/mlscore.json", "mltestscore/mlscore.html"}
    html = Path(
        client.download_artifacts(run.info.run_id, "mltestscore/mlscore.html", str(tmp_path))
    )
    assert "<html" in html.read_text(encoding="utf-8").lower()  # rendered, none was beside it
    assert run.info.run_id in capsys.readouterr().out


def test_it_logs_to_the_active_run_a_training_step_hands_on_and_leaves_it_running(
    tracking: str,
    tmp_path: Path,
    demo_scorecard: Scorecard,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = _client(tracking)
    training = client.create_run("0", run_name="train")
    client.log_metric(training.info.run_id, "roc_auc", 0.88)
    report = write_json(demo_scorecard, tmp_path / "mlscore.json")
    (tmp_path / "mlscore.html").write_text("<html>the session's own page</html>")
    monkeypatch.setenv("MLFLOW_RUN_ID", training.info.run_id)
    assert main(["log", str(report)]) == 0
    run = client.get_run(training.info.run_id)
    assert run.data.metrics["roc_auc"] == 0.88  # the training run's own metrics are kept
    assert run.data.metrics["mltestscore.score"] == demo_scorecard["score"]
    assert run.info.status == "RUNNING"  # the run belongs to its owner, who ends it
    page = client.download_artifacts(
        run.info.run_id, "mltestscore/mlscore.html", str(tmp_path / "d")
    )
    assert Path(page).read_text() == "<html>the session's own page</html>"


def test_a_partial_scorecard_logs_its_items_but_not_its_scores(
    tracking: str,
    tmp_path: Path,
    demo_scorecard: Scorecard,
    capsys: pytest.CaptureFixture[str],
) -> None:
    partial: Any = {**demo_scorecard, "partial": True, "selection": {"reasons": ["-k slices"]}}
    report = write_json(partial, tmp_path / "mlscore.json")
    assert main(["log", str(report), "--experiment", "partial"]) == 0
    client = _client(tracking)
    (run,) = client.search_runs([client.get_experiment_by_name("partial").experiment_id])
    assert not any(key.startswith("mltestscore.") for key in run.data.metrics)
    assert run.data.tags["mltestscore.partial"] == "true"
    assert "-k slices" in run.data.tags["mltestscore.partial_reasons"]
    assert "partial" in capsys.readouterr().err


def test_an_unknown_run_is_one_line_naming_it_and_exit_code_2(
    tracking: str, tmp_path: Path, demo_scorecard: Scorecard, capsys: pytest.CaptureFixture[str]
) -> None:
    report = write_json(demo_scorecard, tmp_path / "mlscore.json")
    assert main(["log", str(report), "--run-id", "0123456789abcdef"]) == 2
    error = capsys.readouterr().err
    assert "refused run '0123456789abcdef'" in error
    assert "Traceback" not in error
