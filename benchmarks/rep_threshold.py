"""Which reps deserve a row in the action list? A threshold of lift x base rate, backtested.

Run with ``python benchmarks/rep_threshold.py [DATA_DIR ...]`` (default: the bundled sample and
the held-out seed-11 company). For each company it trains the rep model at three cutoffs three
months apart (as ``make benchmark-backtest`` does) and, on each model's holdout dates, counts the
reps whose P(slide) reaches ``lift x`` the base rate, and how many of them truly slid.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd

from stagnation.backtest import rep_thresholds
from stagnation.crm import load_crm
from stagnation.features import FeatureContext
from stagnation.snapshots import data_end
from stagnation.workflow import read_truth, train_model

try:
    from benchmarks._companies import default_companies
except ModuleNotFoundError:  # run as a script
    from _companies import default_companies  # type: ignore[no-redef]

LIFTS = (0.0, 1.0, 1.5, 2.0, 3.0)


def run(folder: Path) -> pd.DataFrame:
    """Sum :func:`rep_thresholds` over three training cutoffs of one company."""
    truth = read_truth(folder)
    if truth is None:
        raise SystemExit(f"{folder} has no truth/ folder")
    ctx = FeatureContext.of(load_crm(folder), dormant_days=90)
    end = data_end(ctx.crm)
    parts = []
    for round_ in range(3):
        cutoff = end - pd.DateOffset(months=3 * round_)
        result = train_model(ctx, "rep-passivity", cutoff=cutoff, n_splits=0)
        parts.append(rep_thresholds(result, truth, LIFTS))
    table = pd.concat(parts).groupby("lift", as_index=False).sum(numeric_only=True)
    table["threshold"] /= 3
    table["flagged_per_date"] = table["flagged"] / table["dates"]
    table["precision"] = table["truly_sliding"] / table["flagged"].where(table["flagged"] > 0)
    table["recall"] = table["truly_sliding"] / table["all_sliding"]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folders", nargs="*", type=Path)
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    with tempfile.TemporaryDirectory() as tmp:
        for folder in args.folders or default_companies(Path(tmp)):
            print(f"\n=== {folder.name} ===")
            print(run(folder).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
