"""Build a copy of examples/adult-income trained on the full UCI Adult data (48,842 rows), for
``benchmarks/bench_suite.py --project DIR`` (not a test; the full data is never committed).

Download ``adult.data`` (32,561 rows) and ``adult.test`` (16,281 rows) from the UCI Machine
Learning Repository ("Adult", Becker & Kohavi 1996, DOI 10.24432/C5XW20, CC BY 4.0), then:

    python benchmarks/full_adult.py adult.data adult.test DIR
    python benchmarks/bench_suite.py --project DIR --repeats 5

The copy's ``data/adult.csv`` holds both files' rows in the example's format (a header row,
fields stripped, ``?`` written as an empty field, the test file's ``>50K.`` labels without the
dot); the copy is then trained with ``python -m adult_income.train`` as the example is.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "adult-income"
COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip
LEFT_OUT = ("data", "models", "reports", ".mltestscore", "__pycache__", ".hypothesis")


def uci_rows(path: Path) -> list[list[str]]:
    """The rows of one UCI Adult file in the example's format; the test file's first line
    (``|1x3 Cross validator``) and blank lines are skipped."""
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.reader(handle):
            fields = [field.strip() for field in record]
            if len(fields) != len(COLUMNS):
                continue
            fields = ["" if field == "?" else field for field in fields]
            fields[-1] = fields[-1].rstrip(".")
            rows.append(fields)
    return rows


def build(train_file: Path, test_file: Path, target: Path) -> int:
    if target.exists():
        raise SystemExit(f"{target} exists: choose a new folder")
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(*LEFT_OUT))
    (target / "data").mkdir()
    (target / "data" / "README.md").write_text(
        "`adult.csv`: every row of the UCI Adult data set (adult.data and adult.test), written\n"
        "by benchmarks/full_adult.py; not for committing. Source and licence as in the example's\n"
        "data/README.md.\n",
        encoding="utf-8",
    )
    rows = uci_rows(train_file) + uci_rows(test_file)
    with (target / "data" / "adult.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    paths = [str(target), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
    subprocess.run([sys.executable, "-m", "adult_income.train"], cwd=target, env=env, check=True)
    return len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adult_data", type=Path, help="UCI adult.data")
    parser.add_argument("adult_test", type=Path, help="UCI adult.test")
    parser.add_argument("target", type=Path, help="a new folder for the copy")
    args = parser.parse_args()
    rows = build(args.adult_data, args.adult_test, args.target)
    print(f"wrote {args.target} ({rows:,} rows; 48,842 expected)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
