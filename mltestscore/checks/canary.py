"""Models are canaried before serving (infra-6): load the artifact where serving would.

A model that works in the training notebook can fail in the serving process: a class pickled
from a module only the training code has, a library version that changed how the file loads or
what it predicts. The canary starts a fresh Python (``sys.executable -I``: no caller's sys.path,
no PYTHONPATH), loads the artifact there, predicts on sample inputs and compares those
predictions with the ones made in this process. It also lists the packages whose versions
differ from the training snapshot (``environment.json``), the usual cause of a mismatch.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from mltestscore import artifacts, environment
from mltestscore.checks import _inputs as inputs
from mltestscore.checks.registry import CheckInputError, register_check
from mltestscore.checks.result import CheckResult, Table

RUBRIC = ("infra-6",)
CHECK = "check_canary"
WORKER = Path(__file__).with_name("_canary_worker.py")
MLFLOW = "mlflow"  # an MLflow model folder, served with mlflow.pyfunc.load_model
MLFLOW_MODEL_FILE = "MLmodel"


def version_differences(
    trained: dict[str, str], serving: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(package, training version, serving version or "missing") for each difference.

    The canary passes the Python version as a package named ``python``.
    """
    return [
        (name, version, serving.get(name, "missing"))
        for name, version in sorted(trained.items())
        if serving.get(name) != version
    ]


def _write_inputs(X: Any, folder: Path, input_format: str) -> Path:
    """Write the sample where the worker reads it: Parquet keeps dtypes, JSON records mimic
    a REST request (dtypes re-inferred on the serving side), .npy for arrays."""
    import numpy as np

    if input_format == "json":
        path = folder / "inputs.json"
        if hasattr(X, "to_json"):
            path.write_text(X.to_json(orient="records"), encoding="utf-8")
        else:
            path.write_text(json.dumps(np.asarray(X).tolist()), encoding="utf-8")
    elif hasattr(X, "to_parquet"):
        path = folder / "inputs.parquet"
        X.to_parquet(path)
    else:
        path = folder / "inputs.npy"
        np.save(path, np.asarray(X), allow_pickle=False)
    return path


def _compare(local: Any, served: Any, atol: float) -> tuple[int, float]:
    """(rows that differ, largest numeric difference) between two prediction arrays."""
    import numpy as np

    local = np.asarray(local)
    served = np.asarray(served)
    if local.shape != served.shape:
        return len(local), float("inf")
    if np.issubdtype(local.dtype, np.number) and np.issubdtype(served.dtype, np.number):
        gap = np.abs(local.astype(float) - served.astype(float)).reshape(len(local), -1).max(axis=1)
        return int((gap > atol).sum()), float(gap.max(initial=0.0))
    differ = (local.astype(str) != served.astype(str)).reshape(len(local), -1).any(axis=1)
    return int(differ.sum()), float(differ.any())


class _CanaryCrashed(Exception):
    """The canary process died or hung before writing its result."""


def _artifact_and_format(
    artifact: str | os.PathLike[str], trusted: artifacts.Trust, trust_checked: bool = False
) -> tuple[Path, str]:
    path = Path(artifact)
    if path.is_dir() and (path / MLFLOW_MODEL_FILE).is_file():
        _check_mlflow_trust(path, trusted, trust_checked)
        return path, MLFLOW
    if not path.is_file():
        raise CheckInputError("artifact", f"model file not found: {path}")
    kind = artifacts.artifact_format(path)
    loadable = {artifacts.SKOPS, artifacts.PICKLE, artifacts.JOBLIB, artifacts.ONNX}
    if kind not in loadable | artifacts.NATIVE_BOOSTER_FORMATS:
        raise CheckInputError(
            "artifact",
            f"the canary loads skops, ONNX, pickle, joblib or a booster's own file, not {kind}",
        )
    if kind in artifacts.CODE_EXECUTING_FORMATS and trusted is not True:
        raise CheckInputError(
            "trusted", f"{path.name} is a {kind} file, which runs code on load; pass trusted=True"
        )
    if kind == artifacts.SKOPS and trusted is not True and not trust_checked:
        refused = sorted(set(artifacts.untrusted_types(path)) - set(trusted or ()))
        if refused:
            raise CheckInputError(
                "trusted",
                f"{path.name} holds types skops does not trust: {', '.join(refused)}; review "
                "them and pass them as trusted=[...]",
            )
    return path, kind


def _check_mlflow_trust(path: Path, trusted: artifacts.Trust, trust_checked: bool) -> None:
    """An MLflow model folder serves through ``mlflow.pyfunc.load_model``. A scikit-learn
    model MLflow logged in skops format is audited against ``trusted`` like a skops file
    (MLflow would trust the types its writer listed); any other flavour is loaded by
    unpickling code, so it needs ``trusted=True``."""
    from mltestscore.mlflow_models import model_flavours, skops_file

    try:
        flavours = model_flavours(path)
    except Exception as exc:
        raise CheckInputError("artifact", f"cannot read {path / MLFLOW_MODEL_FILE}: {exc}") from exc
    model_file = skops_file(path, flavours)
    if model_file is None:
        if trusted is not True:
            raise CheckInputError(
                "trusted",
                f"the MLflow model in {path} (flavours: {', '.join(sorted(flavours))}) is loaded "
                "by unpickling code; pass trusted=True if you trust it",
            )
        return
    if trusted is True or trust_checked:
        return
    refused = sorted(set(artifacts.untrusted_types(model_file)) - set(trusted or ()))
    if refused:
        raise CheckInputError(
            "trusted",
            f"the MLflow model in {path} holds types skops does not trust: "
            f"{', '.join(refused)}; review them and pass them as trusted=[...]",
        )


def _reference_model(canary: CanaryProcess) -> Any:
    """The artifact loaded in this process, when the caller gave no reference model."""
    if canary.kind == MLFLOW:
        from mltestscore.errors import ConfigError
        from mltestscore.mlflow_models import load_folder

        try:
            return load_folder(canary.path, str(canary.path), trusted=canary.trusted).model
        except ConfigError as exc:
            raise CheckInputError("artifact", f"cannot load it in this process: {exc}") from exc
    try:
        return artifacts.load_model(canary.path, trusted=canary.trusted).model
    except artifacts.ArtifactError as exc:
        raise CheckInputError("artifact", f"cannot load it in this process: {exc}") from exc


def _training_snapshot(
    path: Path, environment_file: str | os.PathLike[str] | None
) -> tuple[Path, dict[str, Any] | None]:
    beside = path if path.is_dir() else path.parent  # an MLflow model is a folder
    snapshot_path = (
        Path(environment_file) if environment_file else beside / environment.SNAPSHOT_FILE
    )
    if snapshot_path.is_file():
        try:
            return snapshot_path, environment.read_snapshot(snapshot_path)
        except ValueError as exc:
            raise CheckInputError("environment_file", str(exc)) from exc
    if environment_file is not None:
        raise CheckInputError("environment_file", f"not found: {snapshot_path}")
    return snapshot_path, None


# The native thread pools a canary started in the background gets one thread in, unless the
# caller's environment sizes them. A new interpreter's OpenBLAS threads (numpy's and scipy's
# libraries each start theirs) spin waiting for work: 0.25 s of CPU while it imports, on
# the core the caller works on. The predictions are the same with any number of threads.
BACKGROUND_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _background_environment() -> dict[str, str]:
    return {**{name: "1" for name in BACKGROUND_THREADS}, **os.environ}


class CanaryProcess:
    """A canary worker: a fresh ``python -I`` that loads the artifact as soon as it starts,
    then waits for the sample on its standard input, predicts it and writes its result.

    Starting it before the sample exists lets the slow part (a new interpreter importing
    scikit-learn and skops, then loading the model) run on another core while the caller does
    other work; :func:`check_canary` starts one and serves it at once. Nothing of the caller's
    process reaches the worker but the request and the sample, so it proves the same thing
    either way: the artifact loads and predicts where serving would.
    """

    def __init__(
        self,
        artifact: str | os.PathLike[str],
        *,
        trusted: artifacts.Trust = (),
        python: str | None = None,
        input_format: str = "parquet",
        background: bool = False,
        trust_checked: bool = False,
    ) -> None:
        """Check the artifact and its trust (CheckInputError, before any process starts),
        then start the worker. ``background`` runs it at a lower CPU priority (nice 10) and
        with one thread in each native pool the caller's environment does not size
        (:data:`BACKGROUND_THREADS`): started ahead, it has time to spare, and on a busy
        machine the caller's work should not wait for it. ``trust_checked`` skips reading a
        skops file's types here when the caller refuses untrusted ones itself (the generated
        suite does, at configuration time); the worker still loads only the ``trusted``
        types."""
        if input_format not in {"parquet", "json"}:
            raise CheckInputError(
                "input_format", f"expected 'parquet' or 'json', got {input_format!r}"
            )
        self.path, self.kind = _artifact_and_format(artifact, trusted, trust_checked)
        self._identity = _identity(self.path)  # what the worker is about to load
        self.trusted = trusted
        self.python = python or sys.executable
        self.input_format = input_format
        self.process: subprocess.Popen[str] | None = None
        self.sent: Any = None  # the sample, once sent
        self._scratch = tempfile.TemporaryDirectory(prefix="mltestscore-canary-")
        self.folder = Path(self._scratch.name)
        request: dict[str, Any] = {
            "artifact": str(self.path.resolve()),
            "format": self.kind,
            "trusted": trusted if trusted is True else list(trusted or ()),
            "inputs": None,  # its path is sent on stdin once the sample is known
            "input_format": input_format,
            "nice": 10 if background else 0,
        }
        if self.kind == artifacts.SKOPS:
            request["skops_trust"] = artifacts.skops_trust_for_worker()
        request_file = self.folder / "request.json"
        request_file.write_text(json.dumps(request), encoding="utf-8")
        self._output = self.folder / "output.txt"
        try:
            with self._output.open("w", encoding="utf-8") as output:
                # Output goes to a file, not a pipe nobody reads while the worker waits.
                self.process = subprocess.Popen(
                    [self.python, "-I", str(WORKER), str(request_file)],
                    cwd=self.folder,
                    env=_background_environment() if background else None,
                    stdin=subprocess.PIPE,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
        except BaseException:
            self.close()
            raise

    @property
    def started(self) -> bool:
        """True until the process has been served or closed."""
        return self.process is not None

    def artifact_unchanged(self) -> bool:
        """Whether the artifact is still the file the worker was started for (not written or
        replaced since): a worker started ahead may have loaded the earlier one."""
        return self._identity is not None and self._identity == _identity(self.path)

    def send(self, X: Any) -> None:
        """Send the sample now, so the worker serves it while the caller goes on; a later
        :meth:`serve` of the same sample only collects the result."""
        process = self.process
        if process is None:
            raise RuntimeError("this canary process was already served or closed")
        if self.sent is not None:
            raise RuntimeError("this canary process was already sent its sample")
        sample_file = _write_inputs(X, self.folder, self.input_format)
        self.sent = X
        assert process.stdin is not None
        try:
            process.stdin.write(f"{sample_file}\n")
            process.stdin.close()
        except OSError:  # BrokenPipeError: it exited early; its result file says why
            pass

    def serve(self, X: Any, timeout: float) -> dict[str, Any]:
        """Send ``X`` (unless :meth:`send` sent it already), wait for the result (``timeout``
        seconds of the worker's CPU time, see :func:`_wait_for_canary`) and return it with the
        ``predictions`` / ``proba`` arrays added. The worker and its folder are gone after.
        Raises ``_CanaryCrashed`` when the worker dies, hangs or writes no result, and
        ValueError when a different sample was sent."""
        import numpy as np

        process = self.process
        if process is None:
            raise RuntimeError("this canary process was already served or closed")
        try:
            if self.sent is None:
                self.send(X)
            elif not _same_sample(self.sent, X):
                raise ValueError("the canary process was sent a different sample ahead")
            _wait_for_canary(process, timeout)
            result_file = self.folder / "result.json"
            if not result_file.is_file():
                output = self._output.read_text(encoding="utf-8", errors="replace").strip()
                tail = output.splitlines()[-1:] or ["no output"]
                raise _CanaryCrashed(
                    f"the canary process exited with code {process.returncode}: {tail[0]}"
                )
            served: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
            for name in ("predictions", "proba"):
                array_file = self.folder / f"{name}.npy"
                served[name] = np.load(array_file) if array_file.is_file() else None
            return served
        finally:
            self.close()

    def close(self) -> None:
        """Stop the worker if it still runs and remove its folder; safe to call again."""
        process, self.process = self.process, None
        if process is not None:
            if process.stdin is not None and not process.stdin.closed:
                with contextlib.suppress(OSError):
                    process.stdin.close()  # an idle worker reads end-of-file and exits
            if process.poll() is None:
                process.kill()
            process.wait()
        self._scratch.cleanup()


def _identity(path: Path) -> tuple[int, int, int, int] | None:
    try:
        return artifacts.file_identity(path)
    except OSError:
        return None


def _same_sample(sent: Any, X: Any) -> bool:
    import numpy as np

    if sent is X:
        return True
    if hasattr(sent, "equals") and hasattr(X, "equals"):
        return bool(sent.equals(X))
    return bool(np.array_equal(np.asarray(sent), np.asarray(X)))


def _wait_for_exit(process: subprocess.Popen[str], timeout: float) -> None:
    """``process.wait(timeout)`` without its polling: with a timeout the standard library
    sleeps in steps of up to 50 ms, which the caller would wait on top of the serving. A
    pidfd (Linux) becomes readable the moment the process exits."""
    import select

    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):  # not Linux, or an old kernel
        process.wait(timeout=timeout)
        return
    try:
        if not select.select([pidfd], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(process.args, timeout)
    finally:
        os.close(pidfd)
    process.wait()


def _cpu_seconds(pid: int) -> float | None:
    """The CPU time (user + system) a running process has used so far, from /proc (Linux);
    None where it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _wait_for_canary(process: subprocess.Popen[str], timeout: float, step: float = 5.0) -> None:
    """Wait for the canary process to exit; ``_CanaryCrashed`` when it hangs.

    Where its CPU time can be read, ``timeout`` bounds that, not the wall clock: the suite
    starts the worker in the background (nice 10), and on a loaded machine it gets a sliver of
    a core, so loading a model can take many times ``timeout`` of wall time (beside a busy
    core at load average 14-18, 2 of 3 identical runs of a corpus project failed at 120 s of
    wall time while the same runs under ``-n 2`` passed): slowness of the machine, not of the
    artifact. The worker hangs when its CPU time reaches ``timeout`` (it spins) or does not
    move for ``timeout`` seconds (it is blocked). Elsewhere the wall clock bounds it."""
    import time

    last = _cpu_seconds(process.pid)
    if last is None:
        try:
            _wait_for_exit(process, timeout)
        except subprocess.TimeoutExpired as exc:
            raise _CanaryCrashed(f"the canary process did not finish within {timeout}s") from exc
        return
    moved = time.monotonic()
    while True:
        try:
            _wait_for_exit(process, min(step, timeout))
            return
        except subprocess.TimeoutExpired:
            pass
        used, now = _cpu_seconds(process.pid), time.monotonic()
        if used is None:  # it exited between the two looks: the next wait returns at once
            continue
        if used >= timeout:
            raise _CanaryCrashed(
                f"the canary process used {used:.0f}s of CPU time without finishing "
                f"(limit {timeout}s)"
            )
        if used > last:
            last, moved = used, now
        elif now - moved >= timeout:
            raise _CanaryCrashed(
                f"the canary process used no CPU time for {timeout}s without finishing: it hangs"
            )


def start_canary(
    artifact: str | os.PathLike[str],
    *,
    trusted: artifacts.Trust = (),
    python: str | None = None,
    input_format: str = "parquet",
    background: bool = True,
    trust_checked: bool = False,
) -> CanaryProcess:
    """Start the canary process for ``artifact`` now and judge it later with
    :func:`check_started_canary`. The trust rules of :func:`check_canary` apply and refuse
    the same way (CheckInputError) before any process starts. ``background`` (the default
    here) lowers the process's CPU priority until it is served: it loads the model while
    the caller works, and should yield the CPU to that work on a busy machine.
    ``trust_checked`` is as for :class:`CanaryProcess`."""
    return CanaryProcess(
        artifact,
        trusted=trusted,
        python=python,
        input_format=input_format,
        background=background,
        trust_checked=trust_checked,
    )


def _version_report(
    snapshot: dict[str, Any] | None, served: dict[str, Any], fail_on: bool | Sequence[str]
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(every version difference, the ones that fail the check)."""
    if not snapshot:
        return [], []
    trained = {"python": str(snapshot.get("python")), **snapshot["packages"]}
    differences = version_differences(trained, {"python": served["python"], **served["packages"]})
    if fail_on is True:
        return differences, differences
    watched = {p.lower().replace("_", "-") for p in (fail_on or ())}
    return differences, [d for d in differences if d[0] in watched]


@register_check(*RUBRIC)
def check_canary(
    artifact: str | os.PathLike[str],
    X_sample: Any,
    *,
    reference_model: Any = None,
    trusted: artifacts.Trust = (),
    environment_file: str | os.PathLike[str] | None = None,
    atol: float = 1e-9,
    fail_on_version_mismatch: bool | Sequence[str] = False,
    input_format: Literal["parquet", "json"] = "parquet",
    python: str | None = None,
    timeout: float = 120.0,
) -> CheckResult:
    """The artifact loads in a fresh Python process and predicts what it predicts here.

    ``artifact`` is loaded in a subprocess of ``python`` (default ``sys.executable``) in
    isolated mode, with the same trust rules as ``mltestscore.artifacts.load_model``
    (``trusted``); it predicts ``X_sample`` and the predictions (and probabilities) must match
    ``reference_model``'s, or the artifact loaded in this process, within ``atol``. Package
    versions of that process are compared with the training snapshot (``environment_file``,
    default ``environment.json`` beside the artifact), the Python version as ``python``, and
    reported; they fail the check when ``fail_on_version_mismatch`` is True (any package) or
    names the packages that matter. ``input_format="json"`` sends the sample as JSON records,
    as a REST request would, so the serving side re-infers dtypes (Parquet keeps them).
    ``timeout`` bounds the process's CPU time where it can be read (Linux), the wall clock
    elsewhere (see :func:`_wait_for_canary`): a loaded machine is not a hung artifact.
    """
    X_sample = inputs.require_rows(X_sample, "X_sample")
    canary = start_canary(
        artifact, trusted=trusted, python=python, input_format=input_format, background=False
    )
    return check_started_canary(
        canary,
        X_sample,
        reference_model=reference_model,
        environment_file=environment_file,
        atol=atol,
        fail_on_version_mismatch=fail_on_version_mismatch,
        timeout=timeout,
    )


def check_started_canary(
    canary: CanaryProcess,
    X_sample: Any,
    *,
    reference_model: Any = None,
    environment_file: str | os.PathLike[str] | None = None,
    atol: float = 1e-9,
    fail_on_version_mismatch: bool | Sequence[str] = False,
    timeout: float = 120.0,
) -> CheckResult:
    """How :func:`check_canary` ends, for a process :func:`start_canary` started earlier:
    send it ``X_sample`` and judge what it serves, as ``check_canary`` describes.
    ``timeout`` counts from this call (the sample may have been sent earlier with
    :meth:`CanaryProcess.send`). The process is stopped and its folder removed whatever
    happens.

    Not a registered check of its own (it records nothing and raises CheckInputError on bad
    input): the generated suite calls it with a process it started when the session's items
    were collected, so that process loads the model while other items run.
    """
    import numpy as np

    try:
        X_sample = inputs.require_rows(X_sample, "X_sample")
        path = canary.path
        if reference_model is None:
            reference_model = _reference_model(canary)
        inputs.require_model(reference_model, "reference_model")
        snapshot_path, snapshot = _training_snapshot(path, environment_file)

        local_pred = np.asarray(reference_model.predict(X_sample))
        local_proba = None
        if callable(getattr(reference_model, "predict_proba", None)):
            local_proba = np.asarray(reference_model.predict_proba(X_sample))
    except BaseException:
        canary.close()
        raise
    interpreter = canary.python
    try:
        served = canary.serve(X_sample, timeout)
    except _CanaryCrashed as exc:
        return CheckResult.failed(
            CHECK,
            RUBRIC,
            str(exc),
            thresholds={"timeout_seconds": timeout},
            parameters={"python": interpreter},
        )
    served_pred, served_proba = served["predictions"], served["proba"]

    differences, blocking = _version_report(snapshot, served, fail_on_version_mismatch)

    parameters = {
        "python": interpreter,
        "serving_python": served.get("python"),
        "rows": len(X_sample),
        "format": canary.kind,
        "input_format": canary.input_format,
        "environment_file": str(snapshot_path) if snapshot else None,
    }
    tables = (
        [
            Table.build(
                "Package versions: training snapshot vs canary process",
                ["package", "training", "serving"],
                differences,
            )
        ]
        if differences
        else []
    )
    if not served["ok"]:
        return CheckResult.failed(
            CHECK,
            RUBRIC,
            f"the artifact fails in a clean process at '{served['stage']}': {served['error']}",
            measurements={"package_differences": len(differences)},
            parameters=parameters,
            tables=tables,
        )

    differing, gap = _compare(local_pred, served_pred, atol)
    if local_proba is not None and served_proba is not None:
        proba_rows, proba_gap = _compare(local_proba, served_proba, atol)
        differing, gap = max(differing, proba_rows), max(gap, proba_gap)
    problems = []
    if differing:
        problems.append(
            f"{differing} of {len(X_sample)} predictions differ from this process "
            f"(largest difference {inputs.fmt(gap)})"
        )
    if blocking:
        named = ", ".join(f"{n} {t}→{s}" for n, t, s in blocking[:4])
        problems.append(f"{len(blocking)} watched package version(s) differ: {named}")
    if problems:
        reason = "canary failed: " + "; ".join(problems)
    else:
        shown = f"the MLflow model {path.name}" if canary.kind == MLFLOW else path.name
        reason = f"{shown} loads in a fresh process and predicts the same {len(X_sample)} rows"
        if snapshot is None:
            reason += "; no environment.json to compare package versions"
        elif differences:
            reason += f"; {len(differences)} package version(s) differ from training (reported)"
        else:
            reason += "; package versions match the training snapshot"
    return CheckResult.judge(
        not problems,
        CHECK,
        RUBRIC,
        reason,
        measurements={
            "differing_rows": differing,
            "max_difference": gap,
            "package_differences": len(differences),
            "blocking_package_differences": len(blocking),
            "load_seconds": served.get("load_seconds"),
            "predict_seconds": served.get("predict_seconds"),
        },
        thresholds={
            "atol": atol,
            "fail_on_version_mismatch": fail_on_version_mismatch
            if isinstance(fail_on_version_mismatch, bool)
            else ", ".join(fail_on_version_mismatch),
        },
        parameters=parameters,
        tables=tables,
    )
