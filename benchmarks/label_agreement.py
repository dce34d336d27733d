"""Measure how well the observable labels agree with the simulator's hidden truth.

Run with ``python benchmarks/label_agreement.py [DATA_DIR ...]`` (default: the bundled sample
and a company simulated with another seed). For reps: precision and recall of the passivity
label against "a slide starts or is under way within the horizon" (truth/slides). For
customers: the label's positive rate among dormant customers by their true state at ``as_of``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from stagnation.crm import load_crm
from stagnation.features import FeatureContext
from stagnation.labels import (
    RepPassivitySettings,
    customer_reactivation_labels,
    rep_passivity_labels,
)
from stagnation.simulator import customer_state_truth, slide_truth
from stagnation.snapshots import as_of_grid
from stagnation.workflow import read_truth

try:
    from benchmarks._companies import default_companies
except ModuleNotFoundError:  # run as a script: python benchmarks/label_agreement.py
    from _companies import default_companies  # type: ignore[no-redef]


def agreement(folder: Path) -> dict[str, float]:
    """Return the agreement figures of one simulated extract."""
    crm, truth = load_crm(folder), read_truth(folder)
    if truth is None:
        raise SystemExit(f"{folder}: no truth/ folder; agreement needs a simulated extract")
    ctx = FeatureContext.build(crm)
    horizon = RepPassivitySettings().horizon_days
    reps = rep_passivity_labels(ctx, as_of_grid(crm, horizon_days=horizon))
    slid = slide_truth(truth, reps, horizon)
    hit = (reps["label"] & slid).sum()
    customers = customer_reactivation_labels(ctx, as_of_grid(crm, horizon_days=180))
    state = customer_state_truth(truth, customers)
    rate = customers.groupby(state, observed=True)["label"].mean()
    size = customers.groupby(state, observed=True).size()
    return {
        "rep rows": len(reps),
        "rep positive rate": reps["label"].mean(),
        "rep precision": hit / max(reps["label"].sum(), 1),
        "rep recall": hit / max(slid.sum(), 1),
        "customer rows": len(customers),
        **{f"positive rate: {k} (n={size[k]:,})": v for k, v in rate.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folders", nargs="*", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folders = args.folders or default_companies(Path(tmp))
        for folder in folders:
            print(f"{folder}:")
            for key, value in agreement(folder).items():
                print(
                    f"  {key:<45} {value:>8.3f}"
                    if isinstance(value, float)
                    else f"  {key:<45} {value:>8,}"
                )


if __name__ == "__main__":
    main()
