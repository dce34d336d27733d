"""Backtest the ranking against the field's rules on simulated companies (their truth known).

Run with ``python benchmarks/backtest.py [DATA_DIR ...]`` (default: the bundled sample and a
company simulated with the held-out seed 11). For each company it trains both models as
``stagnation train`` does, then, at each holdout ``as_of`` (the latest three label-complete
months, scored by a model that saw nothing after a horizon before them), takes the top K:

* customers: our priority (expected value, the action list's order) and our score (P) vs the
  pool rule (longest without follow-up), the recency rule (most recently lapsed first) and
  random: how many were truly revivable, how many reactivated and the order value they brought
  back in the horizon;
* reps: our priority (P(slide) x new-customer revenue) and our score (P(slide)) vs the drift
  rule vs random: how many truly slid in the horizon, and the new-customer revenue they bring.

Prints the per-date table, the totals over the dates, and whether our ranking beats the rule
at every K, in true cases, label positives and value. See :mod:`stagnation.backtest`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from stagnation.backtest import FIELD_RULE, backtest, backtest_summary, priority_beats_rule
from stagnation.crm import load_crm
from stagnation.workflow import read_truth, train_model

try:
    from benchmarks._companies import default_companies
except ModuleNotFoundError:  # run as a script: python benchmarks/backtest.py
    from _companies import default_companies  # type: ignore[no-redef]


def run(folder: Path) -> pd.DataFrame:
    """Backtest both models on one simulated extract (several training cutoffs)."""
    truth = read_truth(folder)
    if truth is None:
        raise SystemExit(f"{folder} has no truth/ folder: the backtest needs a simulated company")
    return backtest(
        load_crm(folder),
        truth,
        lambda ctx, name, cutoff: train_model(ctx, name, cutoff=cutoff, n_splits=0),
        progress=print,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folders", nargs="*", type=Path)
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    with tempfile.TemporaryDirectory() as tmp:
        folders = args.folders or default_companies(Path(tmp))
        for folder in folders:
            started = time.perf_counter()
            table = run(folder)
            label = str(folder) if folder.name != "seed-11" else "seed 11 (held out)"
            print(f"\n=== {label}: backtest in {time.perf_counter() - started:.1f} s ===")
            dates = ", ".join(f"{d:%Y-%m-%d}" for d in sorted(table["as_of"].unique()))
            print(f"as_of dates: {dates}")
            print("\nper date (hits = truly revivable customers / truly sliding reps):")
            print(
                table.pivot_table(
                    index=["entity_type", "k", "as_of"], columns="strategy", values="hits"
                )
                .round(1)
                .to_string()
            )
            print("\ntotal over the dates:")
            print(backtest_summary(table).round(1).to_string())
            for measure in ("hits", "label_positive", "value"):
                beats = priority_beats_rule(table, measure)
                print(
                    f"our priority beats the field's rule ({FIELD_RULE}) in {measure} at every K: "
                    + ("YES" if beats.all() else "NO")
                    + " ("
                    + ", ".join(f"{e} K={k}: {'yes' if v else 'no'}" for (e, k), v in beats.items())
                    + ")"
                )


if __name__ == "__main__":
    main()
