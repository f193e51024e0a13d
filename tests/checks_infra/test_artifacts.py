"""Safe model persistence: skops by default, pickle only when trusted, ONNX when available."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mltestscore import artifacts


def test_it_round_trips_a_pipeline_through_skops_with_reviewed_types(
    saved_artifact: Path, trusted_types: list[str], adult_model: Any, adult_xy: Any
) -> None:
    X_test = adult_xy[2].head(50)
    loaded = artifacts.load_model(saved_artifact, trusted=trusted_types)
    assert loaded.format == "skops"
    assert set(loaded.untrusted_types) == set(trusted_types)
    assert "trusting" in loaded.note
    np.testing.assert_array_equal(
        loaded.model.predict_proba(X_test), adult_model.predict_proba(X_test)
    )


def test_it_refuses_a_skops_file_with_types_nobody_vouched_for(
    saved_artifact: Path, trusted_types: list[str]
) -> None:
    with pytest.raises(artifacts.UntrustedArtifactError) as caught:
        artifacts.load_model(saved_artifact)
    assert set(caught.value.untrusted_types) == set(trusted_types)
    assert "TreePredictor" in str(caught.value)


def test_it_refuses_a_pickle_unless_the_caller_trusts_it(tmp_path: Path, adult_model: Any) -> None:
    path = artifacts.save_model(adult_model, tmp_path / "model.pkl")
    with pytest.raises(artifacts.UntrustedArtifactError, match="runs code when loaded"):
        artifacts.load_model(path)
    loaded = artifacts.load_model(path, trusted=True)
    assert loaded.trusted_by_caller
    assert "because the caller trusts it" in loaded.note


def test_it_loads_joblib_only_when_trusted(tmp_path: Path, adult_model: Any) -> None:
    path = artifacts.save_model(adult_model, tmp_path / "model.joblib")
    with pytest.raises(artifacts.UntrustedArtifactError):
        artifacts.load_model(path, trusted=["sklearn.pipeline.Pipeline"])
    assert artifacts.load_model(path, trusted=True).format == "joblib"


def test_it_names_the_file_when_it_is_missing_or_of_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(artifacts.ArtifactError, match="not found"):
        artifacts.load_model(tmp_path / "nope.skops")
    odd = tmp_path / "model.bin"
    odd.write_bytes(b"x")
    with pytest.raises(artifacts.ArtifactError, match="unknown model file type"):
        artifacts.load_model(odd)


def test_it_reports_a_corrupt_skops_file_as_unreadable(tmp_path: Path) -> None:
    broken = tmp_path / "model.skops"
    broken.write_bytes(pickle.dumps({"not": "a skops zip"}))
    with pytest.raises(artifacts.ArtifactError, match="not a readable skops file"):
        artifacts.load_model(broken)


def test_it_says_onnx_needs_onnxruntime_when_it_is_missing(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("onnxruntime is installed here")
    model = tmp_path / "model.onnx"
    model.write_bytes(b"\x08\x01")
    with pytest.raises(artifacts.ArtifactError, match="needs onnxruntime"):
        artifacts.load_model(model)


def test_a_skops_file_is_audited_once_while_it_stays_the_same(
    tmp_path: Path, adult_model: Any, trusted_types: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import skops.io as sio

    path = artifacts.save_model(adult_model, tmp_path / "model.skops")
    audits: list[Path] = []
    real = sio.get_untrusted_types

    def counted(*, file: Path) -> list[str]:
        audits.append(file)
        return list(real(file=file))

    monkeypatch.setattr(sio, "get_untrusted_types", counted)
    for _ in range(3):
        artifacts.load_model(path, trusted=trusted_types)
    assert len(audits) == 1
    # A new file in its place (a retrained model) is audited again, and what it holds counts.
    artifacts.save_model({"weights": np.ones(3)}, path)
    assert artifacts.untrusted_types(path) == []
    assert len(audits) == 2


_AUDIT_IN_A_FRESH_PROCESS = """
import json, sys
from mltestscore import artifacts
path, trusted = sys.argv[1], json.loads(sys.argv[2])
found = artifacts.untrusted_types(path)
model = artifacts.load_model(path, trusted=trusted).model
from mltestscore.checks._canary_worker import SKOPS_TRUST_MODULE, skops_trust_lists
print(json.dumps({
    "untrusted": found,
    "computed": hasattr(sys.modules[SKOPS_TRUST_MODULE], "__file__"),
    "lists": skops_trust_lists(),
    "model": type(model).__name__,
}))
"""


def _fresh_audit(path: Path, trusted: list[str], cache: Path) -> dict[str, Any]:
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, MLTESTSCORE_CACHE_DIR=str(cache))
    done = subprocess.run(
        [sys.executable, "-c", _AUDIT_IN_A_FRESH_PROCESS, str(path), json.dumps(trusted)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_a_later_process_takes_skops_trust_lists_from_the_cache_and_audits_the_same(
    saved_artifact: Path, trusted_types: list[str], tmp_path: Path
) -> None:
    first = _fresh_audit(saved_artifact, trusted_types, tmp_path / "cache")
    later = _fresh_audit(saved_artifact, trusted_types, tmp_path / "cache")

    assert first["computed"]
    assert not later["computed"]
    assert later["lists"] == first["lists"]
    assert "sklearn.ensemble._hist_gradient_boosting.gradient_boosting." in " ".join(
        first["lists"]["SKLEARN_ESTIMATOR_TYPE_NAMES"]
    )
    assert later["untrusted"] == first["untrusted"] == sorted(trusted_types)
    assert later["model"] == first["model"] == "Pipeline"


_WORKER_LOAD = """
import json, sys, importlib.util
spec = importlib.util.spec_from_file_location("worker", sys.argv[1])
worker = importlib.util.module_from_spec(spec)
spec.loader.exec_module(worker)
request = json.loads(sys.argv[2])
if request.pop("lists_without_a_name", False):
    request["skops_trust"]["lists"].pop("SCIPY_UFUNC_TYPE_NAMES")
model = worker._load(request)
print(json.dumps({
    "computed": hasattr(sys.modules[worker.SKOPS_TRUST_MODULE], "__file__"),
    "model": type(model).__name__,
}))
"""


@pytest.mark.parametrize(
    ("given", "computed"),
    [
        ("the same identity", False),
        ("another identity", True),
        ("lists without a name skops imports", True),
        ("nothing", True),
    ],
)
def test_the_canary_worker_takes_skops_trust_lists_only_from_its_own_identity(
    saved_artifact: Path, trusted_types: list[str], given: str, computed: bool
) -> None:
    import json
    import subprocess
    import sys

    from mltestscore.checks import _canary_worker

    identity = _canary_worker.skops_trust_identity()
    lists = _canary_worker.skops_trust_lists()
    assert identity is not None
    assert lists is not None
    request: dict[str, Any] = {
        "artifact": str(saved_artifact),
        "format": "skops",
        "trusted": trusted_types,
        "skops_trust": {"identity": identity, "lists": lists},
    }
    if given == "another identity":
        request["skops_trust"]["identity"] = [*identity[:-1], "sklearn 0.0 elsewhere"]
    elif given == "lists without a name skops imports":
        request["lists_without_a_name"] = True
    elif given == "nothing":
        del request["skops_trust"]
    done = subprocess.run(
        [sys.executable, "-I", "-c", _WORKER_LOAD, _canary_worker.__file__, json.dumps(request)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    assert result == {"computed": computed, "model": "Pipeline"}
