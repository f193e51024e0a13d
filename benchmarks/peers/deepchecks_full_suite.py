"""Run deepchecks' tabular ``full_suite`` on the adult-income train/test data (peer helper).

Runs inside ``benchmarks/.venvs/deepchecks`` (deepchecks 0.19.1, numpy < 2, scikit-learn < 1.6),
started by ``benchmarks/bench_peers_suite.py``. Fits the same pipeline as the example's
``adult_income.train.build_model`` (ordinal-encoded categoricals, passthrough numerics,
HistGradientBoostingClassifier with the same hyper-parameters and seed), then times the phases
separately and prints one JSON line: import, fit, ``full_suite().run``, ``save_as_html``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--numeric", required=True, help="comma-separated")
    parser.add_argument("--categorical", required=True, help="comma-separated")
    parser.add_argument("--html", required=True)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    os.environ.setdefault("DISABLE_DEEPCHECKS_ANONYMOUS_TELEMETRY", "True")

    started = time.perf_counter()
    import pandas as pd
    from deepchecks.tabular import Dataset
    from deepchecks.tabular.suites import full_suite
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    imported = time.perf_counter()
    numeric, categorical = args.numeric.split(","), args.categorical.split(",")
    features = numeric + categorical
    train = pd.read_parquet(args.train)[[*features, args.target]]
    test = pd.read_parquet(args.test)[[*features, args.target]]
    encode = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)),
        ]
    )
    model = Pipeline(
        [
            (
                "features",
                ColumnTransformer([("num", "passthrough", numeric), ("cat", encode, categorical)]),
            ),
            (
                "model",
                HistGradientBoostingClassifier(
                    max_iter=60, learning_rate=0.1, max_leaf_nodes=15, random_state=0
                ),
            ),
        ]
    )
    model.fit(train[features], train[args.target])
    fitted = time.perf_counter()

    train_ds = Dataset(train, label=args.target, cat_features=categorical)
    test_ds = Dataset(test, label=args.target, cat_features=categorical)
    result = full_suite().run(train_dataset=train_ds, test_dataset=test_ds, model=model)
    ran = time.perf_counter()
    result.save_as_html(args.html)
    saved = time.perf_counter()

    passed = len(result.get_passed_checks())
    not_passed = len(result.get_not_passed_checks())
    not_ran = len(result.get_not_ran_checks())
    print()  # the progress bar leaves its line open
    print(
        json.dumps(
            {
                "import_s": imported - started,
                "fit_s": fitted - imported,
                "run_s": ran - fitted,
                "html_s": saved - ran,
                "html_bytes": os.path.getsize(args.html),
                "checks": {"passed": passed, "not_passed": not_passed, "not_ran": not_ran},
                "results": len(result.results),
            }
        )
    )


if __name__ == "__main__":
    main()
