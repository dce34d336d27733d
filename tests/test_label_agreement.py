"""The observable labels agree with the simulator's hidden truth (figures quoted in README)."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks.label_agreement import agreement


@pytest.mark.slow
def test_labels_agree_with_the_truth_on_the_sample() -> None:
    figures = agreement(Path("data/sample"))
    # measured 2026-12-02 on the 120-rep data/sample: precision 0.95, recall 0.56 (0.60 at 60 reps)
    assert figures["rep precision"] >= 0.85
    assert figures["rep recall"] >= 0.5
    rates = {k.split(" (")[0].removeprefix("positive rate: "): v for k, v in figures.items()}
    assert rates["dormant_lost"] == 0.0  # a customer whose need is gone never comes back
    assert rates["dormant_revivable"] > 10 * rates["prospect"]
