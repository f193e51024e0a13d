"""False alarms and caught defects of the schema and drift checks on real data.

For each dataset (the Adult sample, scikit-learn's breast cancer, wine and diabetes) and each
of 20 seeds: infer a schema on a random 70%, validate the other 30% and a 120-300-row sample
of it (false failures), then plant one defect at a time in the 30% (caught or missed). Drift:
120-300 rows drawn from the training rows' population (the held-out 30%, with replacement when
it is smaller) compared with the 70% (false alarms), and a planted shift at 300 rows.

    python benchmarks/bench_data_false_alarms.py [schema|drift|shift]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

SEEDS = range(20)
HERE = Path(__file__).resolve().parent


def datasets() -> dict[str, pd.DataFrame]:
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

    adult = pd.read_csv(HERE.parent / "tests/data/adult/adult_sample.csv", skipinitialspace=True)
    found = {"adult": adult.drop(columns=["income"])}
    for name, loader in (
        ("breast_cancer", load_breast_cancer),
        ("wine", load_wine),
        ("diabetes", load_diabetes),
    ):
        found[name] = loader(as_frame=True).data
    return found


def split(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    train = frame.sample(frac=0.7, random_state=seed)
    return train.reset_index(drop=True), frame.drop(train.index).reset_index(drop=True)


def small_sample(holdout: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(120, 301))
    rows = rng.choice(len(holdout), size, replace=size > len(holdout))
    return holdout.iloc[rows].reset_index(drop=True)


def defects(name: str, holdout: pd.DataFrame, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    numeric = [c for c in holdout.columns if pd.api.types.is_numeric_dtype(holdout[c])]
    text = [c for c in holdout.columns if c not in numeric]
    column = "age" if "age" in holdout.columns and name == "adult" else numeric[0]
    planted: dict[str, pd.DataFrame] = {}
    wrong = holdout.copy()
    wrong[column] = wrong[column].astype(str)
    planted["wrong type"] = wrong
    far = holdout.copy()
    rows = rng.choice(len(far), max(1, round(0.05 * len(far))), replace=False)
    value = (
        999 if column == "age" else far[column].max() + 10 * (far[column].max() - far[column].min())
    )
    far[column] = far[column].astype(float if column != "age" else far[column].dtype)
    far.loc[rows, column] = value
    planted["far out of range (5%)"] = far
    if text:
        new = holdout.copy()
        rows = rng.choice(len(new), round(0.2 * len(new)), replace=False)
        new.loc[rows, text[0]] = "a-new-category"
        planted["new category (20%)"] = new
    planted["missing column"] = holdout.drop(columns=[numeric[-1]])
    full = [c for c in holdout.columns if holdout[c].notna().all()]
    nulls = holdout.copy()
    rows = rng.choice(len(nulls), round(0.1 * len(nulls)), replace=False)
    nulls[full[-1]] = nulls[full[-1]].astype(float) if full[-1] in numeric else nulls[full[-1]]
    nulls.loc[rows, full[-1]] = None
    planted["nulls where none were (10%)"] = nulls
    return planted


def schema_table() -> None:
    from mltestscore.checks.schema import check_schema, infer_schema

    print("dataset | clean 30% false failures | clean 120-300 false failures | defects caught")
    for name, frame in datasets().items():
        false_30 = false_small = 0
        caught: dict[str, int] = {}
        examples: list[str] = []
        for seed in SEEDS:
            train, holdout = split(frame, seed)
            schema = infer_schema(train)
            for which, data in (("30", holdout), ("small", small_sample(holdout, seed))):
                result = check_schema(data, schema)
                if result.outcome != "passed":
                    examples.append(result.reason[:160])
                    if which == "30":
                        false_30 += 1
                    else:
                        false_small += 1
            for defect, data in defects(name, holdout, seed).items():
                result = check_schema(data, schema)
                caught[defect] = caught.get(defect, 0) + (result.outcome == "failed")
        print(
            f"{name} | {false_30}/20 | {false_small}/20 | "
            + ", ".join(f"{k} {v}/20" for k, v in caught.items())
        )
        for line in examples[:3]:
            print("    ", line)


def drift_table() -> None:
    from mltestscore.checks.drift import check_feature_drift

    print("dataset | runs with a false alarm (120-300 clean rows) | features flagged in total")
    for name, frame in datasets().items():
        runs = flagged = 0
        for seed in SEEDS:
            train, holdout = split(frame, seed)
            # Distinct rows (a sample with replacement is not a sample of the population).
            size = min(int(np.random.default_rng(seed).integers(120, 301)), len(holdout))
            current = holdout.sample(n=size, random_state=seed)
            result = check_feature_drift(train, current)
            count = int(result.measurements.get("drifted_features", 0))
            runs += count > 0
            flagged += count
        print(f"{name} | {runs}/20 | {flagged}")


def shifted(frame: pd.DataFrame, column: str, size: float) -> pd.DataFrame:
    out = frame.copy()
    out[column] = out[column] + size
    return out


def moved_share(
    frame: pd.DataFrame, column: str, to: str, points: float, seed: int
) -> pd.DataFrame:
    out = frame.copy()
    rng = np.random.default_rng(seed)
    others = np.flatnonzero(out[column].to_numpy() != to)
    rows = rng.choice(others, round(points * len(out)), replace=False)
    out.loc[out.index[rows], column] = to
    return out


def shift_table() -> None:
    """Smallest age shift (years) and sex-share move (points) caught in >= 19 of 20 seeds."""
    from mltestscore.checks.drift import check_feature_drift

    adult = datasets()["adult"]
    print("rows | smallest age shift caught (19/20) | smallest share move of 'sex' caught")
    for rows in (100, 300, 1000, 3000):
        found = []
        for kind, sizes in (
            ("age", (1, 2, 3, 4, 6, 8, 12)),
            ("sex", (0.02, 0.05, 0.1, 0.15, 0.2, 0.3)),
        ):
            smallest = None
            for size in sizes:
                caught = 0
                for seed in SEEDS:
                    rng = np.random.default_rng(seed)
                    train, holdout = split(adult, seed)
                    pool = holdout if rows <= len(holdout) else adult
                    current = pool.iloc[rng.choice(len(pool), rows, replace=False)]
                    current = current.reset_index(drop=True)
                    if kind == "age":
                        current = shifted(current, "age", size)
                    else:
                        current = moved_share(current, "sex", "Female", size, seed)
                    result = check_feature_drift(train, current, columns=[kind])
                    caught += result.outcome == "failed"
                if caught >= 19:
                    smallest = size
                    break
            found.append("none tried" if smallest is None else str(smallest))
        print(f"{rows} | {found[0]} years | {found[1]}")


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    which = sys.argv[1] if len(sys.argv) > 1 else "schema"
    {"schema": schema_table, "drift": drift_table, "shift": shift_table}[which]()
