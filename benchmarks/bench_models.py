"""The zero-config suite on a LightGBM model of the Adult data beside the scikit-learn one (not a
test).

Both projects hold the same Adult rows (2,000 for training, 800 held out, from the sample in
tests/data/adult) and the same keys; the models differ: the scikit-learn Pipeline of the tests
(ColumnTransformer + HistGradientBoostingClassifier) and a Pipeline casting the text columns to
pandas categoricals in front of LGBMClassifier (native categorical handling), each loaded
through ``model = "project_model:load_model"`` from a joblib file. Runs ``pytest --mlscore`` on
each, alternating, in one process (``MLTESTSCORE_SUITE_WORKER=0``, so an item's time is its
own), and prints each item's time (median over ``--repeats``) and outcome side by side, and
each pytest run's wall and CPU seconds (CPU: the pytest process and its children, which a
machine shared with other work inflates far less than wall time). Then the SHAP tree
explanation of 200 rows on each model, best of 5: the explanation check's path (shap's
TreeExplainer on the scikit-learn booster, LightGBM's own TreeSHAP, ``pred_contrib``, on the
LightGBM one), and shap's ``TreeExplainer`` called directly on each final estimator with the
rows its pipeline hands it.

    python benchmarks/bench_models.py [--repeats 1]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from bench_suite import run_once  # noqa: E402

LOADER = """
    import joblib

    def load_model():
        return joblib.load({path!r})
"""
KEYS = """
[tool.mltestscore]
model = "project_model:load_model"
train = "train.csv"
test = "test.csv"
target = "income"
sensitive = ["sex"]
slices = ["education"]
"""


def models(adult: Any) -> dict[str, Any]:
    from tests.conftest import make_adult_pipeline
    from tests.models import boosters

    X, y = adult.drop(columns=["income"]).head(2000), adult["income"].head(2000)
    return {
        "scikit-learn": make_adult_pipeline().fit(X, y),
        "lightgbm": boosters.pipeline("lightgbm", "binary", X).fit(X, y),
    }


def project(folder: Path, adult: Any, model: Any) -> Path:
    import joblib

    folder.mkdir()
    adult.head(2000).to_csv(folder / "train.csv", index=False)
    adult.iloc[2000:2800].to_csv(folder / "test.csv", index=False)
    joblib.dump(model, folder / "model.joblib")
    loader = textwrap.dedent(LOADER.format(path=str(folder / "model.joblib")))
    (folder / "project_model.py").write_text(loader)
    (folder / "pyproject.toml").write_text(KEYS)
    return folder


def explanation_seconds(model: Any, X: Any) -> tuple[float, str]:
    from mltestscore.checks.explain import shap_attributions

    timings = []
    for _ in range(5):
        started = time.perf_counter()
        explained = shap_attributions(model, X, method="tree")
        timings.append(time.perf_counter() - started)
    return min(timings), explained.output_space


def tree_explainer_seconds(model: Any, X: Any) -> float:
    """shap's TreeExplainer on the pipeline's final estimator, with the rows the steps before
    it hand it (best of 5, the explainer built each time as a check would)."""
    import shap

    rows = model[:-1].transform(X)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        shap.TreeExplainer(model[-1]).shap_values(rows)
        timings.append(time.perf_counter() - started)
    return min(timings)


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from tests.conftest import load_adult

    adult = load_adult()
    fitted = models(adult)
    runs: dict[str, list[tuple[dict[str, float], dict[str, str], float]]] = {n: [] for n in fitted}
    cpu: dict[str, list[float]] = {n: [] for n in fitted}
    with tempfile.TemporaryDirectory(prefix="bench-models-") as scratch:
        folders = {n: project(Path(scratch) / n, adult, m) for n, m in fitted.items()}
        for _ in range(args.repeats):
            for name, folder in folders.items():  # alternating
                before = cpu_of_children()
                runs[name].append(run_once([], project=folder))
                cpu[name].append(cpu_of_children() - before)
    names = sorted({item for runs_of in runs.values() for t, _, _ in runs_of for item in t})
    print(f"{'item':48} {'scikit-learn':>16} {'lightgbm':>16}")
    totals = {n: 0.0 for n in fitted}
    for item in names:
        cells = []
        for model_name in fitted:
            seconds = statistics.median(t.get(item, 0.0) for t, _, _ in runs[model_name])
            outcome = runs[model_name][-1][1].get(item, "-")
            totals[model_name] += seconds
            cells.append(f"{seconds:7.2f}s {outcome[:7]:>7}")
        print(f"{item:48} {cells[0]:>16} {cells[1]:>16}")
    walls = {n: statistics.median(w for _, _, w in runs[n]) for n in fitted}
    print(f"{'sum over items':48} {totals['scikit-learn']:15.1f}s {totals['lightgbm']:15.1f}s")
    print(f"{'wall time of pytest':48} {walls['scikit-learn']:15.1f}s {walls['lightgbm']:15.1f}s")
    cpus = {n: statistics.median(cpu[n]) for n in fitted}
    print(f"{'CPU time of pytest':48} {cpus['scikit-learn']:15.1f}s {cpus['lightgbm']:15.1f}s")
    rows = adult.drop(columns=["income"]).iloc[2000:2200]
    for name, model in fitted.items():
        seconds, space = explanation_seconds(model, rows)
        print(f"SHAP tree explanation of 200 rows, {name}: {seconds * 1000:.1f} ms ({space})")
        direct = tree_explainer_seconds(model, rows)
        print(f"shap.TreeExplainer on the final estimator, {name}: {direct * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
