"""Peer benchmark: data validation on 100k and 1M rows (not a test).

The same expectations (inferred once from the clean frame by ``infer_schema``: column order,
types, null rates, ranges, category sets; 61 expectations over 20 columns) validated on the
synthetic frame of ``bench_schema.py`` four ways:

- ``pandas``: the hand-written pandas expression, the floor any tool competes with;
- ``mltestscore``: ``check_schema`` (vectorised, one pass per column);
- ``ge_checkpoint``: a Great Expectations 1.x **checkpoint**: ephemeral context, pandas
  datasource, whole-dataframe batch definition, the suite, a validation definition and a
  checkpoint with SUMMARY results, built once; ``checkpoint.run(batch_parameters=...)`` timed;
- ``ge_validate``: plain ``batch.validate(suite)`` (what ``bench_schema.py`` times).

Each variant runs in its own process, so its peak RSS is its own. With ``--data-docs`` one
extra checkpoint run on a file context with ``UpdateDataDocsAction`` measures the size and
build time of GE's HTML Data Docs for that run, and what its validation page weighs with the
scripts and styles it loads from CDNs to display (``peers/page_weight.py``, sized from their npm
packages: a lower bound), against our self-contained scorecard page for the same result.
Target (issue 8): ``check_schema`` within 3x of the pandas floor.

    .venv/bin/python benchmarks/bench_peers_validation.py [--rows 100000 1000000] [--repeats 5]
        [--ge-repeats 3] [--defects] [--data-docs]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_schema  # noqa: E402

VARIANTS = ("pandas", "mltestscore", "ge_checkpoint", "ge_validate")
TARGET_RATIO = 3.0


def _ge_checkpoint(frame: Any, expectations: list[dict[str, Any]], root: Path | None) -> Any:
    """A checkpoint over the frame's batch definition; a file context with Data Docs when
    ``root`` is given, else the ephemeral context mltestscore itself uses."""
    import great_expectations as gx

    from mltestscore.checks._expectations import great_expectations_context

    if root is None:
        context = great_expectations_context()
        actions: list[Any] = []
    else:
        context = gx.get_context(mode="file", project_root_dir=str(root))
        from great_expectations.checkpoint.actions import UpdateDataDocsAction

        actions = [UpdateDataDocsAction(name="data_docs")]
    batch_definition = (
        context.data_sources.add_pandas("bench")
        .add_dataframe_asset(name="frame")
        .add_batch_definition_whole_dataframe("whole")
    )
    suite = context.suites.add(
        gx.ExpectationSuite(
            name="bench",
            expectations=[{"type": e["type"], "kwargs": dict(e["kwargs"])} for e in expectations],
        )
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="bench", data=batch_definition, suite=suite)
    )
    return context.checkpoints.add(
        gx.Checkpoint(
            name="bench",
            validation_definitions=[definition],
            actions=actions,
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": 3},
        )
    )


def run_checkpoint(rows: int, repeats: int, suite_path: Path, defects: bool) -> dict[str, Any]:
    from mltestscore.checks.schema import schema_to_dict

    frame = bench_schema.make_frame(rows)
    if defects:
        bench_schema.plant_defects(frame)
    expectations = schema_to_dict(suite_path)["expectations"]
    baseline = bench_schema._rss_bytes()
    checkpoint = _ge_checkpoint(frame, expectations, None)
    checkpoint.run(batch_parameters={"dataframe": frame})  # warm-up
    times, ok = [], False
    for _ in range(repeats):
        start = time.perf_counter()
        ok = bool(checkpoint.run(batch_parameters={"dataframe": frame}).success)
        times.append(time.perf_counter() - start)
    return {
        "variant": "ge_checkpoint",
        "ok": ok,
        "median_s": statistics.median(times),
        "times_s": times,
        "frame_bytes": int(frame.memory_usage(deep=True).sum()),
        "baseline_rss": baseline,
        "peak_rss": bench_schema._peak_rss_bytes(),
    }


def data_docs(rows: int, suite_path: Path, defects: bool) -> dict[str, Any]:
    """One checkpoint run that also builds GE's Data Docs: build time and HTML size."""
    from peers.page_weight import external_assets

    from mltestscore.checks.schema import schema_to_dict

    frame = bench_schema.make_frame(rows)
    if defects:
        bench_schema.plant_defects(frame)
    expectations = schema_to_dict(suite_path)["expectations"]
    with tempfile.TemporaryDirectory(prefix="bench-gx-") as tmp:
        checkpoint = _ge_checkpoint(frame, expectations, Path(tmp))
        start = time.perf_counter()
        checkpoint.run(batch_parameters={"dataframe": frame})
        seconds = time.perf_counter() - start
        pages = [p for p in Path(tmp).rglob("*.html") if "validations" in p.parts]
        site = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file() and
                   "data_docs" in p.parts)  # fmt: skip
        page = max(pages, key=lambda p: p.stat().st_size, default=None)
        text = page.read_text(encoding="utf-8") if page is not None else ""
        return {
            "seconds": seconds,
            "validation_page_bytes": len(text.encode("utf-8")),
            # What the page loads from the network to display: scripts, styles, images (not
            # its plain links, e.g. the newsletter one, which a regex over href= would count).
            "external_loads": len(external_assets(text)),
            "site_bytes": site,
            "weight": _page_weight(page),
            **_our_page(frame, suite_path),
        }


def _page_weight(page: Path | None) -> dict[str, Any]:
    """What GE's page really weighs with the scripts and styles it loads from CDNs, sized
    from their npm packages (``peers/page_weight.py``): a lower bound. Never fails the
    benchmark: offline or broken, it says why in ``error``."""
    from peers.page_weight import measure

    if page is None:
        return {"error": "no validation page was built"}
    try:
        weight = measure(page)
    except Exception as error:  # the benchmark's timings stand without this figure
        return {"error": f"{type(error).__name__}: {error}"}
    if weight["resolved"] == 0:
        why = " (registry unreachable)" if weight["offline"] else ""
        return {"error": f"no file could be sized{why}"}
    keys = ("total_bytes", "assets_bytes", "resolved", "unresolved", "offline", "fonts_bytes",
            "page_gzip_bytes", "assets_gzip_bytes", "files")  # fmt: skip
    return {key: weight[key] for key in keys}


def _our_page(frame: Any, suite_path: Path) -> dict[str, Any]:
    """Our scorecard page for the same validation: ``check_schema`` on the same frame and
    suite, as the only evidence of a run (like for like with GE's one validation page)."""
    from mltestscore.checks.schema import check_schema
    from mltestscore.evidence import TestRun
    from mltestscore.report.html import render_html
    from mltestscore.rubric import load_rubric
    from mltestscore.scorecard import build_scorecard

    result = check_schema(frame, suite_path)
    run = TestRun("bench::check_schema", "passed", 0.0, (), checks=(result.to_dict(),))
    page = render_html(build_scorecard(load_rubric(), [run], [])).encode("utf-8")
    return {
        "our_page_bytes": len(page),
        "our_page_gzip_bytes": len(gzip.compress(page, 9, mtime=0)),
        "our_outcome": result.outcome.value,
    }


def _child(args: argparse.Namespace) -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    if args.variant == "data_docs":
        result = data_docs(args.rows[0], args.suite, args.defects)
    elif args.variant == "ge_checkpoint":
        result = run_checkpoint(args.rows[0], args.ge_repeats, args.suite, args.defects)
    else:
        name = "great_expectations" if args.variant == "ge_validate" else args.variant
        repeats = args.ge_repeats if name == "great_expectations" else args.repeats
        result = bench_schema.run_variant(name, args.rows[0], repeats, args.suite, args.defects)
    print(json.dumps(result))


def _spawn(args: argparse.Namespace, variant: str, rows: int, suite: Path) -> dict[str, Any]:
    command = [
        sys.executable, __file__, "--variant", variant, "--rows", str(rows), "--suite",
        str(suite), "--repeats", str(args.repeats), "--ge-repeats", str(args.ge_repeats),
    ] + (["--defects"] if args.defects else [])  # fmt: skip
    env = dict(os.environ, GX_ANALYTICS_ENABLED="False")
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ge-repeats", type=int, default=3)
    parser.add_argument("--defects", action="store_true", help="plant defects first")
    parser.add_argument("--data-docs", action="store_true", help="also build GE Data Docs")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--suite", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        _child(args)
        return
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    data = "planted defects" if args.defects else "clean data"
    print(f"data validation, {data}; {os.cpu_count()} cores, load {load}; medians of "
          f"{args.repeats} (GE: {args.ge_repeats}), each variant in its own process")  # fmt: skip
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            suite = Path(tmp) / "suite.json"
            bench_schema.write_suite(rows, suite)
            n_expectations = len(json.loads(suite.read_text())["expectations"])
            results = {variant: _spawn(args, variant, rows, suite) for variant in VARIANTS}
            docs = _spawn(args, "data_docs", rows, suite) if args.data_docs else None
        _print(rows, n_expectations, results, docs)


def _print(
    rows: int, n_expectations: int, results: dict[str, dict[str, Any]], docs: dict[str, Any] | None
) -> None:
    floor = results["pandas"]["median_s"]
    frame_mib = results["pandas"]["frame_bytes"] / 2**20
    print(f"{rows:,} rows x 20 columns ({frame_mib:.0f} MiB), {n_expectations} expectations")
    print(f"  {'variant':<16}{'median s':>10}{'x pandas':>10}{'peak MiB':>10}"
          f"{'extra MiB':>11}{'passed':>8}")  # fmt: skip
    for variant, result in results.items():
        extra = max(0, result["peak_rss"] - result["baseline_rss"]) / 2**20
        print(f"  {variant:<16}{result['median_s']:>10.3f}{result['median_s'] / floor:>10.2f}"
              f"{result['peak_rss'] / 2**20:>10.0f}{extra:>11.0f}{result['ok']!s:>8}")  # fmt: skip
    ours = results["mltestscore"]["median_s"] / floor
    checkpoint = results["ge_checkpoint"]["median_s"] / results["mltestscore"]["median_s"]
    print(f"  check_schema / pandas {ours:.2f}x (target {TARGET_RATIO:.0f}x -> "
          f"{'met' if ours <= TARGET_RATIO else 'MISSED'}); GE checkpoint / check_schema "
          f"{checkpoint:.1f}x")  # fmt: skip
    if docs:
        print(f"  GE Data Docs: checkpoint run with UpdateDataDocsAction {docs['seconds']:.2f} s; "
              f"validation page {docs['validation_page_bytes'] / 1024:.0f} KiB (loads "
              f"{docs['external_loads']} files from the network to display), whole site "
              f"{docs['site_bytes'] / 1024:.0f} KiB")  # fmt: skip
        ours = docs["our_page_bytes"]
        print(f"  our scorecard page for the same check_schema result ({docs['our_outcome']}): "
              f"{ours / 1024:.0f} KiB, self-contained; GE page / ours "
              f"{docs['validation_page_bytes'] / ours:.1f}x, GE site / ours "
              f"{docs['site_bytes'] / ours:.1f}x")  # fmt: skip
        _print_weight(docs["weight"], ours, docs["our_page_gzip_bytes"])


def _print_weight(weight: dict[str, Any], ours: int, ours_gzip: int) -> None:
    """GE's page with the files it loads against our self-contained page (issue 8's 10x)."""
    if "error" in weight:
        print(f"  GE validation page with the files it loads: could not be measured "
              f"({weight['error']})")  # fmt: skip
        return
    total = weight["total_bytes"]
    print(f"  GE validation page with the files it loads: {total / 1024:,.0f} KiB (lower "
          f"bound) vs our page {ours / 1024:.0f} KiB: {total / ours:.1f}x")  # fmt: skip
    gzipped = weight["page_gzip_bytes"] + weight["assets_gzip_bytes"]
    print(f"    {weight['resolved']} scripts/styles sized from their npm packages "
          f"({weight['assets_bytes'] / 1024:,.0f} KiB), {weight['unresolved']} unresolved"
          f"{' (registry unreachable)' if weight['offline'] else ''}; web fonts the styles "
          f"declare, fetched only if used, not counted: {weight['fonts_bytes'] / 1024:.0f} KiB;"
          f" gzip -9 both sides: {gzipped / 1024:,.0f} KiB vs {ours_gzip / 1024:.0f} KiB "
          f"({gzipped / ours_gzip:.1f}x)")  # fmt: skip
    for url, size in weight["files"].items():
        shown = f"{size / 1024:7.1f} KiB" if isinstance(size, int) else size
        print(f"      {shown}  {url[:110]}")


if __name__ == "__main__":
    main()
