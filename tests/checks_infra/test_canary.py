"""Canary (infra-6): the artifact loads and predicts the same in a fresh Python process.

Each test here starts a subprocess (2 s or more), so there are only a few of them.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import types
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mltestscore import artifacts
from mltestscore.checks.canary import (
    CanaryProcess,
    _wait_for_canary,
    check_canary,
    check_started_canary,
    start_canary,
    version_differences,
)
from mltestscore.checks.result import Outcome

PLANTED_MODULE = "planted_only_in_this_process"


def _thresholded_model_class() -> type:
    """A model class from a module that exists only in this process (registered in
    ``sys.modules`` so pickle can save it): a clean serving process cannot import it,
    whatever is on its path."""
    module = sys.modules.get(PLANTED_MODULE)
    if module is None:
        module = types.ModuleType(PLANTED_MODULE)
        exec(
            "class ThresholdedModel:\n"
            "    def __init__(self, model, threshold=0.3):\n"
            "        self.model = model\n"
            "        self.threshold = threshold\n"
            "    def predict(self, X):\n"
            "        return (self.model.predict_proba(X)[:, 1] > self.threshold).astype(int)\n",
            module.__dict__,
        )
        sys.modules[PLANTED_MODULE] = module
    return module.ThresholdedModel  # type: ignore[no-any-return]


def _copy_with_snapshot(saved_artifact: Path, folder: Path, **versions: str) -> Path:
    """The artifact in ``folder`` with its snapshot claiming other package versions."""
    target = Path(shutil.copy(saved_artifact, folder / saved_artifact.name))
    snapshot = json.loads((saved_artifact.parent / "environment.json").read_text())
    if "python" in versions:
        snapshot["python"] = versions.pop("python")
    snapshot["packages"].update(versions)
    (folder / "environment.json").write_text(json.dumps(snapshot))
    return target


@pytest.fixture(scope="module")
def sample(adult_xy: Any) -> pd.DataFrame:
    return adult_xy[2].head(200)


def test_a_skops_artifact_serves_the_same_predictions_to_a_json_request_in_a_fresh_process(
    saved_artifact: Path,
    trusted_types: list[str],
    adult_model: Any,
    sample: pd.DataFrame,
    tmp_path: Path,
) -> None:
    artifact = _copy_with_snapshot(saved_artifact, tmp_path, numpy="1.26.0", python="3.10.4")
    result = check_canary(
        artifact, sample, reference_model=adult_model, trusted=trusted_types, input_format="json"
    ).assert_ok()
    assert result.measurements["differing_rows"] == 0
    assert result.measurements["package_differences"] == 2
    assert "2 package version(s) differ from training (reported)" in result.reason
    assert [row[:2] for row in result.tables[0].rows] == [("numpy", "1.26.0"), ("python", "3.10.4")]


def test_it_flags_an_artifact_that_only_loads_where_it_was_trained(
    adult_model: Any, sample: pd.DataFrame, tmp_path: Path
) -> None:
    path = artifacts.save_model(_thresholded_model_class()(adult_model), tmp_path / "model.joblib")
    assert artifacts.load_model(path, trusted=True).model.predict(sample).shape == (200,)
    result = check_canary(path, sample, trusted=True)
    assert result.outcome is Outcome.FAILED
    assert "fails in a clean process at 'load'" in result.reason
    assert f"No module named '{PLANTED_MODULE}'" in result.reason


def test_it_flags_different_predictions_and_a_watched_package_version(
    saved_artifact: Path,
    trusted_types: list[str],
    wife_corrupted_model: Any,
    sample: pd.DataFrame,
    tmp_path: Path,
) -> None:
    artifact = _copy_with_snapshot(
        saved_artifact, tmp_path, numpy="1.26.0", **{"scikit-learn": "1.5.0"}
    )
    result = check_canary(
        artifact,
        sample,
        reference_model=wife_corrupted_model,  # stands in for "what this process predicts"
        trusted=trusted_types,
        fail_on_version_mismatch=["scikit-learn"],
    )
    assert result.outcome is Outcome.FAILED
    assert "predictions differ from this process" in result.reason
    assert result.measurements["differing_rows"] > 0
    assert "1 watched package version(s) differ: scikit-learn 1.5.0→" in result.reason
    assert result.measurements["package_differences"] == 2
    assert "python" not in {row[0] for row in result.tables[0].rows}  # same interpreter


def test_it_refuses_a_pickle_nobody_trusts_before_starting_a_process(
    adult_model: Any, sample: pd.DataFrame, tmp_path: Path
) -> None:
    path = artifacts.save_model(adult_model, tmp_path / "model.pkl")
    result = check_canary(path, sample)
    assert result.outcome is Outcome.ERROR
    assert "trusted" in result.reason


@pytest.mark.parametrize(
    ("artifact", "X", "argument"),
    [
        ("missing.skops", None, "artifact"),
        (None, pd.DataFrame(), "X_sample"),
        (None, "rows", "X_sample"),
    ],
)
def test_it_names_the_bad_input(
    artifact: Any, X: Any, argument: str, saved_artifact: Path, sample: pd.DataFrame
) -> None:
    result = check_canary(artifact or saved_artifact, sample if X is None else X, trusted=True)
    assert result.outcome is Outcome.ERROR
    assert argument in result.reason


def test_it_lists_changed_and_missing_packages() -> None:
    trained = {"numpy": "2.4.0", "scikit-learn": "1.9.1", "skops": "0.16.0"}
    serving = {"numpy": "2.4.0", "scikit-learn": "1.8.0", "extra": "1.0"}
    assert version_differences(trained, serving) == [
        ("scikit-learn", "1.9.1", "1.8.0"),
        ("skops", "0.16.0", "missing"),
    ]


def test_it_asks_for_the_skops_types_to_trust_before_starting_a_process(
    saved_artifact: Path, adult_model: Any, sample: pd.DataFrame
) -> None:
    result = check_canary(saved_artifact, sample, reference_model=adult_model)
    assert result.outcome is Outcome.ERROR
    assert "trusted" in result.reason
    assert "TreePredictor" in result.reason


def test_a_canary_started_before_its_sample_exists_judges_it_like_check_canary(
    saved_artifact: Path, trusted_types: list[str], adult_model: Any, sample: pd.DataFrame
) -> None:
    started = start_canary(saved_artifact, trusted=trusted_types)
    assert started.process is not None
    assert started.process.poll() is None  # loading the model, then waiting for the sample
    # In the background: it yields the CPU to this process's work (nice 10 more than ours).
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    deadline = time.monotonic() + 10
    while os.getpriority(os.PRIO_PROCESS, started.process.pid) == ours:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert os.getpriority(os.PRIO_PROCESS, started.process.pid) == min(ours + 10, 19)
    result = check_started_canary(started, sample, reference_model=adult_model).assert_ok()
    assert result.measurements["differing_rows"] == 0
    assert result.parameters["rows"] == 200
    assert not started.started
    assert not started.folder.exists()


def _environment_of(pid: int) -> dict[str, str]:
    """Read once the new program runs (while the kernel replaces the image it reads empty)."""
    deadline = time.monotonic() + 10
    while not (raw := Path(f"/proc/{pid}/environ").read_bytes()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return dict(entry.decode().split("=", 1) for entry in raw.split(b"\0") if b"=" in entry)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/environ")
@pytest.mark.parametrize("background", [True, False])
def test_a_background_canary_gets_one_native_thread_where_the_environment_says_nothing(
    background: bool,
    saved_artifact: Path,
    trusted_types: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the caller's own choice stands
    started = CanaryProcess(saved_artifact, trusted=trusted_types, background=background)
    try:
        assert started.process is not None
        environment = _environment_of(started.process.pid)
    finally:
        started.close()
    assert environment["OMP_NUM_THREADS"] == "3"
    if background:
        assert environment["OPENBLAS_NUM_THREADS"] == "1"
        assert environment["MKL_NUM_THREADS"] == "1"
    else:
        assert "OPENBLAS_NUM_THREADS" not in environment
        assert "MKL_NUM_THREADS" not in environment


def test_a_canary_started_ahead_fails_an_artifact_that_only_loads_where_it_was_trained(
    adult_model: Any, sample: pd.DataFrame, tmp_path: Path
) -> None:
    path = artifacts.save_model(_thresholded_model_class()(adult_model), tmp_path / "model.joblib")
    started = start_canary(path, trusted=True)
    result = check_started_canary(started, sample)
    assert result.outcome is Outcome.FAILED
    assert f"at 'load': ModuleNotFoundError: No module named '{PLANTED_MODULE}'" in result.reason


def test_a_sample_sent_ahead_is_served_in_the_background_and_judged_later(
    saved_artifact: Path, trusted_types: list[str], adult_model: Any, sample: pd.DataFrame
) -> None:
    started = start_canary(saved_artifact, trusted=trusted_types)
    started.send(sample.copy())  # an equal frame, as the suite's item builds it again
    assert started.process is not None
    _wait_for_canary(started.process, 60)  # served and gone before anyone asked for the result
    assert (started.folder / "result.json").is_file()
    result = check_started_canary(started, sample, reference_model=adult_model).assert_ok()
    assert result.measurements["differing_rows"] == 0


def test_a_canary_sent_one_sample_refuses_to_judge_another(
    saved_artifact: Path, trusted_types: list[str], adult_model: Any, sample: pd.DataFrame
) -> None:
    started = start_canary(saved_artifact, trusted=trusted_types)
    started.send(sample)
    with pytest.raises(ValueError, match="a different sample"):
        check_started_canary(started, sample.head(10), reference_model=adult_model)
    assert not started.folder.exists()


def test_closing_a_canary_nobody_served_stops_its_process_and_removes_its_folder(
    saved_artifact: Path, trusted_types: list[str]
) -> None:
    started = start_canary(saved_artifact, trusted=trusted_types)
    worker = started.process
    assert worker is not None
    started.close()
    assert worker.poll() is not None
    assert not started.folder.exists()
    started.close()  # twice is fine


def test_waiting_for_the_canary_process_ends_when_it_exits_or_at_the_timeout() -> None:
    import subprocess

    from mltestscore.checks.canary import _wait_for_exit

    quick = subprocess.Popen([sys.executable, "-c", "pass"], text=True)
    _wait_for_exit(quick, timeout=30)
    assert quick.returncode == 0
    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], text=True)
    begin = time.monotonic()
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            _wait_for_exit(stuck, timeout=0.3)
        assert time.monotonic() - begin < 10
    finally:
        stuck.kill()
        stuck.wait()


def test_a_canary_process_that_spins_or_blocks_hangs_but_a_starved_one_does_not() -> None:
    """The timeout bounds the worker's CPU time (Linux): a worker that spins uses it up, one
    that is blocked uses none for that long, and one that a loaded machine serves slowly
    keeps using a little, so it is waited for well past the timeout in wall time."""
    import subprocess

    from mltestscore.checks.canary import _CanaryCrashed, _cpu_seconds, _wait_for_canary

    def worker(code: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-c", code], text=True)

    probe = worker("import time; time.sleep(30)")
    try:
        if _cpu_seconds(probe.pid) is None:
            pytest.skip("the CPU time of a process cannot be read here (no /proc)")
        with pytest.raises(_CanaryCrashed, match=r"used no CPU time for 0\.5s"):
            _wait_for_canary(probe, 0.5, step=0.1)
    finally:
        probe.kill()
        probe.wait()
    spinning = worker("while True: pass")
    try:
        # 1 s: on a machine loaded 13 deep a spinning process can wait half a second for a core
        with pytest.raises(_CanaryCrashed, match="of CPU time without finishing"):
            _wait_for_canary(spinning, 1.0, step=0.1)
    finally:
        spinning.kill()
        spinning.wait()
    # 20 ms of work every 200 ms for 8 s: at most 0.8 s of CPU, however busy the machine,
    # and never 3 s without any (a loaded machine still serves it every few hundred ms)
    starved = worker(
        "import time\n"
        "for _ in range(40):\n"
        "    end = time.perf_counter() + 0.02\n"
        "    while time.perf_counter() < end: pass\n"
        "    time.sleep(0.18)\n"
    )
    begin = time.monotonic()
    _wait_for_canary(starved, 3.0, step=0.1)
    assert time.monotonic() - begin > 3.0  # waited past the timeout in wall time
    assert starved.returncode == 0
