"""Measure both models against their baselines on the sample and on a held-out company.

Run with ``python benchmarks/evaluate_models.py [DATA_DIR ...]`` (default: the bundled sample
and a company simulated with seed 11, which no modelling choice was tuned on). For each company
and target: ROC AUC and top-10 % lift of LightGBM and of every baseline per fold and on the
holdout, with the positives of each split; PR AUC, Brier score, ECE and the AUC against the
simulator's truth on the holdout; whether LightGBM beats every baseline everywhere, and the
smallest margins; training time per model.

``--seeds 1 2 3 ...`` simulates one company per seed instead (``--reps``, ``--customers``;
default the sample's size) and prints one summary line per company and target (with the pooled
verdict ``stagnation train`` tags: the ROC AUC difference against the best baseline and its
paired bootstrap 95 % interval), then the share of splits LightGBM wins over all of them: how
often a company of that size can show the win.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from stagnation.crm import load_crm
from stagnation.features import FeatureContext
from stagnation.simulator import SimConfig, simulate, write_sample
from stagnation.snapshots import customer_snapshots, rep_snapshots
from stagnation.training import TrainingResult, labels_of, train
from stagnation.workflow import read_truth

try:
    from benchmarks._companies import default_companies
except ModuleNotFoundError:  # run as a script: python benchmarks/evaluate_models.py
    from _companies import default_companies  # type: ignore[no-redef]


TARGETS = {"rep-passivity": rep_snapshots, "customer-recycling": customer_snapshots}
MODEL = "lightgbm"


def evaluate(folder: Path) -> dict[str, tuple[TrainingResult, float]]:
    """Train both models on one extract; return each result with its training seconds."""
    ctx = FeatureContext.build(load_crm(folder))
    truth = read_truth(folder)
    out = {}
    for name, build in TARGETS.items():
        snapshots = build(ctx)
        started = time.perf_counter()
        result = train(
            snapshots, name, labels=labels_of(name, snapshots.attrs["settings"]), truth=truth
        )
        out[name] = (result, time.perf_counter() - started)
    return out


def comparison(result: TrainingResult) -> pd.DataFrame:
    """Return, per split, the positives and each model's ROC AUC and lift@10."""
    m = result.metrics
    wide = m[m["metric"].isin(["roc_auc", "lift_at_10"])].pivot_table(
        index="split", columns=["metric", "model"], values="value", dropna=False
    )
    positives = m[(m["model"] == MODEL) & (m["metric"] == "positives")].set_index("split")
    rows = m[(m["model"] == MODEL) & (m["metric"] == "n")].set_index("split")
    wide[("rows", "")] = rows["value"].astype(int)
    wide[("positives", "")] = positives["value"].astype(int)
    return wide


def margins(result: TrainingResult) -> pd.DataFrame:
    """Return LightGBM minus the best baseline, per split, in ROC AUC and lift@10.

    The pooled rows are no split of their own (their verdict is printed on its own line).
    """
    m = result.metrics[result.metrics["split"] != "pooled"]
    out = {}
    for metric in ("roc_auc", "lift_at_10"):
        table = m[m["metric"] == metric].pivot_table(index="split", columns="model", values="value")
        best = table.drop(columns=MODEL).max(axis=1)
        winner = table.drop(columns=MODEL).idxmax(axis=1)
        out[f"{metric} margin"] = table[MODEL] - best
        out[f"{metric} best baseline"] = winner
    return pd.DataFrame(out)


def holdout_table(result: TrainingResult) -> pd.DataFrame:
    """Return the holdout's probability and truth metrics of every model."""
    keep = ["roc_auc", "pr_auc", "lift_at_10", "brier", "ece", "truth_roc_auc"]
    table = result.holdout_table()
    return table[[k for k in keep if k in table.columns]]


def report(label: str, results: dict[str, tuple[TrainingResult, float]]) -> None:
    """Print the tables of one company."""
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    for name, (result, seconds) in results.items():
        print(f"\n=== {label}: {name} (trained in {seconds:.1f} s) ===")
        print(comparison(result).round(3).to_string())
        diff = margins(result)
        print("\nLightGBM minus the best baseline:")
        print(diff.round(3).to_string())
        beats = bool(
            ((diff["roc_auc margin"] > 0) & (diff["lift_at_10 margin"] > 0)).all()
            and not diff[["roc_auc margin", "lift_at_10 margin"]].isna().any().any()
        )
        smallest = diff[["roc_auc margin", "lift_at_10 margin"]].min()
        print(
            f"beats every baseline on every fold and the holdout (ROC AUC and lift@10): "
            f"{'YES' if beats else 'NO'}; smallest margins: ROC AUC {smallest.iloc[0]:+.3f}, "
            f"lift@10 {smallest.iloc[1]:+.3f}"
        )
        print(f"pooled verdict: {result.verdict()}")
        print("\nholdout:")
        print(holdout_table(result).round(3).to_string())
        facts = result.card.splits
        print(
            "\nfit / calibration positives per split: "
            + ", ".join(
                f"{k} {v['fit_positives']}/{v['calibration_positives']}" for k, v in facts.items()
            )
        )


def summary_row(label: str, name: str, result: TrainingResult) -> dict[str, object]:
    """Return one company's and target's splits: won, lost or tied, and the smallest margins."""
    diff = margins(result)
    auc, lift = diff["roc_auc margin"], diff["lift_at_10 margin"]
    positives = result.metrics[
        (result.metrics["model"] == MODEL) & (result.metrics["metric"] == "positives")
    ]["value"]
    verdict = result.card.verdict
    pooled = verdict.against[verdict.best_baseline]["roc_auc"] if verdict else None
    return {
        "company": label,
        "target": name,
        "pooled AUC vs best baseline [95 %]": (
            "{estimate:+.3f} [{low:+.3f}, {high:+.3f}]".format(**pooled) if pooled else "-"
        ),
        "beats_baselines": result.card.beats_baselines,
        "splits": len(diff),
        "positives per split": f"{int(positives.min())}-{int(positives.max())}",
        "won both": int(((auc > 0) & (lift > 0)).sum()),
        "AUC not won": int((auc <= 0).sum()),
        "lift@10 tied": int((lift == 0).sum()),
        "lift@10 lost": int((lift < 0).sum()),
        "min AUC margin": round(float(auc.min()), 3),
        "min lift margin": round(float(lift.min()), 2),
    }


def study(seeds: list[int], reps: int, customers: int, tmp: Path) -> None:
    """Simulate one company per seed, evaluate both models, print the summary."""
    from stagnation.training._train import TooFewPositives

    rows: list[dict[str, object]] = []
    for seed in seeds:
        folder = tmp / f"seed-{seed}"
        write_sample(simulate(SimConfig(seed=seed, reps=reps, customers=customers)), folder)
        ctx = FeatureContext.build(load_crm(folder))
        truth = read_truth(folder)
        for name, build in TARGETS.items():
            snapshots = build(ctx)
            try:
                result = train(
                    snapshots,
                    name,
                    labels=labels_of(name, snapshots.attrs["settings"]),
                    truth=truth,
                )
            except TooFewPositives as refusal:
                rows.append({"company": f"seed {seed}", "target": name, "splits": 0})
                print(f"seed {seed} {name}: not trainable: {refusal}")
                continue
            rows.append(summary_row(f"seed {seed}", name, result))
            print(pd.DataFrame(rows[-1:]).to_string(index=False, header=len(rows) == 1))
    table = pd.DataFrame(rows)
    counts = ["won both", "AUC not won", "lift@10 tied", "lift@10 lost"]
    table[counts] = table[counts].astype("Int64")  # missing: the model could not be trained
    print(f"\n{len(seeds)} companies of {reps} reps and {customers:,} customers:")
    print(table.to_string(index=False, na_rep="-"))
    totals = table.groupby("target")[["splits", "won both", "lift@10 tied", "lift@10 lost"]].sum()
    totals["AUC not won"] = table.groupby("target")["AUC not won"].sum()
    print("\nsplits over all companies:")
    print(totals.to_string())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", help="simulate these companies instead")
    parser.add_argument("--reps", type=int, default=SimConfig().reps)
    parser.add_argument("--customers", type=int, default=SimConfig().customers)
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    if args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            study(args.seeds, args.reps, args.customers, Path(tmp))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folders = args.folders or default_companies(Path(tmp))
        for folder in folders:
            started = time.perf_counter()
            results = evaluate(folder)
            total = time.perf_counter() - started
            report(str(folder) if folder.name != "seed-11" else "seed 11 (held out)", results)
            train_s = sum(seconds for _, seconds in results.values())
            print(
                f"\n{folder}: snapshots + training {total:.1f} s, of which training {train_s:.1f} s"
            )


if __name__ == "__main__":
    main()
