"""Reasons in plain words: every feature has a phrase, and the top contributions are picked.

The phrases come from the feature definitions (``FeatureDef.says``); scoring keeps none.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import stagnation.features
from stagnation.features import CUSTOMER_FEATURES, REP_FEATURES, FeatureDef, Says
from stagnation.scoring import _reasons
from stagnation.scoring._reasons import PHRASES, describe_reason, reason_topic, top_reasons

CATEGORICALS = ("t_model_stage", "industry", "region", "size", "source")
NUMERIC = sorted({d.name for d in (*REP_FEATURES, *CUSTOMER_FEATURES)})
ALL_NAMES = sorted({*NUMERIC, *CATEGORICALS})
UNITS = {d.name: d.unit for d in (*REP_FEATURES, *CUSTOMER_FEATURES)}
TYPICAL = {
    "days": 143.4,
    "count": 12.0,
    "money": 23456.7,
    "share": 0.41,
    "ratio": 2.34,
    "flag": 1.0,
    "years": 3.27,
}
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def _clean(text: str) -> None:
    assert text.strip(), "empty phrase"
    assert "_" not in text, text
    assert not re.search(r"\bnan\b|None|<NA>|NaT", text, flags=re.IGNORECASE), text
    for name in ALL_NAMES:
        if "_" in name:
            assert name not in text, text


def test_every_feature_has_a_phrase() -> None:
    assert set(PHRASES) == set(ALL_NAMES)


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("kind", ["typical", "zero", "nan"])
def test_numeric_phrases_read_cleanly(name: str, kind: str) -> None:
    value = {"typical": TYPICAL[UNITS[name]], "zero": 0.0, "nan": np.nan}[kind]
    row: dict[str, object] = dict.fromkeys(NUMERIC, value)
    row.update(dict.fromkeys(CATEGORICALS, None if kind == "nan" else "cold_outreach"))
    _clean(describe_reason(name, row))
    # alone in its row (the other features absent) a phrase still reads
    _clean(describe_reason(name, {name: value}))


@pytest.mark.parametrize("name", CATEGORICALS)
@pytest.mark.parametrize("value", ["cold_outreach", "deepening", None, np.nan, pd.NA])
def test_categorical_phrases_read_cleanly(name: str, value: object) -> None:
    _clean(describe_reason(name, {name: value}))


PINNED = [
    ("days_since_last_outbound_touch", {"days_since_last_outbound_touch": 143.4},
     "no outbound touch for 143 days"),
    ("days_since_last_order", {"days_since_last_order": np.nan}, "never ordered"),
    ("days_since_last_order", {"days_since_last_order": 1.2}, "no order for 1 day"),
    ("orders_365d", {"orders_365d": 12.0}, "ordered 12 times in the last 365 days"),
    ("orders_365d", {"orders_365d": 1.0}, "ordered once in the last 365 days"),
    ("orders_90d", {"orders_90d": 0.0, "customer_age_days": 30.0}, "no order in the last 90 days"),
    ("orders_90d", {"orders_90d": 51.0, "book_revenue_90d": 1.0},
     "51 orders credited in the last 90 days"),
    ("hunting_share_vs_own_past",
     {"hunting_share_vs_own_past": 0.22, "hunting_share_own_past": 0.41, "hunting_share_90d": 0.09},
     "hunting share fell from 41% to 9% in 90 days"),
    ("hunting_share_slope_90d",
     {"hunting_share_slope_90d": -0.324, "hunting_share_prev_90d": 0.41,
      "hunting_share_90d": 0.086},
     "hunting share fell 32 points against the previous 90 days (41% to 9%)"),
    ("owner_hunting_share_90d", {"owner_hunting_share_90d": 0.0612, "has_owner": 1.0},
     "owner's hunting share is 6% over 90 days"),
    ("owner_hunting_share_90d", {"owner_hunting_share_90d": np.nan, "has_owner": 0.0},
     "no rep owns the customer"),
    ("days_since_owner_change", {"days_since_owner_change": 40.3, "in_pool": 1.0},
     "in the pool for 40 days"),
    ("open_opportunities", {"open_opportunities": 3.0}, "3 open opportunities"),
    ("open_opportunities", {"open_opportunities": 1.0}, "1 open opportunity"),
    ("book_revenue_vs_peers_365d", {"book_revenue_vs_peers_365d": 2.3018},
     "book revenue 2.3x the team median"),
    ("order_value_365d", {"order_value_365d": 1234567.89},
     "bought 1,234,568 in the last 365 days"),
    ("average_order_value", {"average_order_value": 2526.5}, "average order 2,526"),
    ("tenure_years", {"tenure_years": 3.152}, "3.2 years with the company"),
    ("source", {"source": "cold_outreach"}, "came in through cold outreach"),
    ("t_model_stage", {"t_model_stage": "deepening"},
     "deepening stage: lives off repeat orders of the book"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "row", "expected"), PINNED)
def test_pinned_phrases(name: str, row: dict[str, object], expected: str) -> None:
    assert describe_reason(name, row) == expected


def test_unknown_feature_is_an_error() -> None:
    with pytest.raises(KeyError, match="no plain-words phrase"):
        describe_reason("no_such_feature", {})


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    features = pd.DataFrame(
        {
            "days_since_last_order": [200.0, np.nan, 10.0],
            "orders_365d": [2.0, 0.0, 5.0],
            "open_opportunities": [3.0, 0.0, 1.0],
            "tenure_years": [1.0, 2.0, 3.0],
            "customer_age_days": [900.0, 30.0, 400.0],
            "extra": ["x", "y", "z"],
        },
        index=["c1", "c2", "c3"],
    )
    contributions = pd.DataFrame(
        {
            "tenure_years": [0.1, -0.2, 0.5],
            "orders_365d": [0.4, 0.0, 0.5],
            "days_since_last_order": [0.9, 0.3, 0.5],
            "open_opportunities": [0.2, -0.1, 0.5],
            "customer_age_days": [-0.5, np.nan, 0.0],
        },
        index=features.index,
    )
    return contributions, features


def test_top_reasons_picks_largest_positive_in_order() -> None:
    contributions, features = _frames()
    got = top_reasons(contributions, features)
    assert got.name == "reasons"
    assert got.index.equals(contributions.index)
    assert got["c1"] == (
        "no order for 200 days; ordered twice in the last 365 days; 3 open opportunities"
    )
    # only one positive contribution; zero, negative and NaN are no reasons
    assert got["c2"] == "never ordered"
    # a four-way tie is broken by feature name
    assert got["c3"] == (
        "no order for 10 days; 1 open opportunity; ordered 5 times in the last 365 days"
    )


def test_top_reasons_respects_k_and_empty_rows() -> None:
    contributions, features = _frames()
    assert top_reasons(contributions, features, k=1).tolist() == [
        "no order for 200 days",
        "never ordered",
        "no order for 10 days",
    ]
    assert top_reasons(contributions, features, k=0).tolist() == ["", "", ""]
    assert top_reasons(-contributions.abs(), features).tolist() == ["", "", ""]
    many = top_reasons(contributions, features, k=10)
    assert many["c1"].count("; ") == 3  # four positive contributions


def test_top_reasons_is_deterministic_and_aligns_rows() -> None:
    contributions, features = _frames()
    first = top_reasons(contributions, features)
    shuffled = contributions[list(reversed(contributions.columns))]
    assert top_reasons(shuffled, features).equals(first)
    # features in another row order are aligned by index
    assert top_reasons(contributions, features.iloc[::-1]).equals(first)
    with pytest.raises(ValueError, match="missing"):
        top_reasons(contributions, features.iloc[:2])
    with pytest.raises(KeyError, match="no plain-words phrase"):
        top_reasons(contributions.assign(mystery=1.0), features.assign(mystery=1.0))


@pytest.mark.parametrize("entity", ["customer", "rep"])
def test_real_features_give_clean_reasons(entity: str) -> None:
    from stagnation.crm import load_crm
    from stagnation.snapshots import features_at

    features = features_at(load_crm(SAMPLE), entity, "2025-06-01")
    defs = REP_FEATURES if entity == "rep" else CUSTOMER_FEATURES
    extra = ("t_model_stage",) if entity == "rep" else ("industry", "region", "size", "source")
    names = [d.name for d in defs] + list(extra)
    rng = np.random.default_rng(7)
    contributions = pd.DataFrame(
        rng.normal(size=(len(features), len(names))), index=features.index, columns=names
    )
    contributions.iloc[:, 0] = 5.0  # at least three positive contributions per row
    contributions.iloc[:, 1] = 4.0
    contributions.iloc[:, 2] = 3.0
    reasons = top_reasons(contributions, features)
    assert len(reasons) == len(features)
    for text in reasons:
        parts = text.split("; ")
        assert len(parts) == 3
        for part in parts:
            _clean(part)
    # every feature of every real row renders cleanly, not only the picked ones
    for _, row in features.head(50).iterrows():
        for name in names:
            _clean(describe_reason(name, row.to_dict()))


def test_top_reasons_say_each_topic_once() -> None:
    features = pd.DataFrame(
        {
            "hunting_share_30d": [0.09],
            "hunting_share_90d": [0.2],
            "hunting_share_vs_own_past": [0.3],
            "tenure_years": [3.0],
            "book_customers": [40.0],
        }
    )
    contributions = pd.DataFrame(
        {
            "hunting_share_30d": [0.9],
            "hunting_share_90d": [0.8],
            "hunting_share_vs_own_past": [0.7],
            "tenure_years": [0.2],
            "book_customers": [0.1],
        }
    )
    got = top_reasons(contributions, features).iloc[0].split("; ")
    assert got == [
        describe_reason("hunting_share_30d", features.iloc[0].to_dict()),
        describe_reason("tenure_years", features.iloc[0].to_dict()),
        describe_reason("book_customers", features.iloc[0].to_dict()),
    ]
    assert reason_topic("hunting_share_ratio_30d_90d") == reason_topic("hunting_share_365d")
    assert reason_topic("days_since_last_order") == "days_since_last_order"


def test_a_feature_defined_with_its_phrase_shows_in_the_reasons(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # adding a feature is one edit: its definition, with its phrase, in the features package
    toy = FeatureDef(
        "toy_calls_90d",
        "calls to the toy in the last 90 days",
        "count",
        Says("{} toy calls in the last 90 days", "no toy records", none="no toy call"),
    )
    index = pd.Index(["c1", "c2"])
    contributions = pd.DataFrame({"toy_calls_90d": [0.9, 0.2], "orders_365d": [0.1, 0.5]}, index)
    features = pd.DataFrame({"toy_calls_90d": [7.0, 0.0], "orders_365d": [2.0, 1.0]}, index)
    with pytest.raises(KeyError, match="toy_calls_90d"):
        top_reasons(contributions, features)
    monkeypatch.setattr(
        stagnation.features, "CUSTOMER_FEATURES", (*stagnation.features.CUSTOMER_FEATURES, toy)
    )
    assert "toy_calls_90d" in PHRASES
    assert top_reasons(contributions, features).tolist() == [
        "7 toy calls in the last 90 days; ordered twice in the last 365 days",
        "ordered once in the last 365 days; no toy call",
    ]
    monkeypatch.undo()
    assert "toy_calls_90d" not in PHRASES


def test_scoring_names_no_feature() -> None:
    # the reasons machinery holds no second table: no feature name is a string in its code
    # (docstrings aside, whose examples name features)
    tree = ast.parse(Path(_reasons.__file__).read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    strings = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }
    assert not strings & set(ALL_NAMES)
    assert len(Path(_reasons.__file__).read_text(encoding="utf-8").splitlines()) < 500
