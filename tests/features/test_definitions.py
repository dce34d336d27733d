"""Feature definitions carry their phrase: templates read by the unit, changes, the registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stagnation.features import (
    CUSTOMER_CATEGORICALS,
    CUSTOMER_FEATURES,
    REP_CATEGORICALS,
    REP_FEATURES,
    Change,
    FeatureDef,
    Says,
    describe,
)
from stagnation.features._customer import FIRMOGRAPHICS

UNITS = {"days", "count", "money", "share", "ratio", "flag", "years", "category"}


def _say(unit: str, says: Says, value: object) -> str:
    return FeatureDef("x", "a toy feature", unit, says).phrase({"x": value})


# the value of each unit as a template's {} says it (the reference: scoring/_reasons.py before
# the phrases moved to the definitions, whose output these reproduce)
UNIT_CASES = [
    ("days", 143.4, "143 days"),
    ("days", 1.2, "1 day"),
    ("days", 1234.0, "1,234 days"),
    ("count", 12.0, "12"),
    ("count", 12345.0, "12,345"),
    ("money", 1234567.89, "1,234,568"),
    ("share", 0.413, "41%"),
    ("ratio", 2.3018, "2.3x"),
    ("years", 3.152, "3.2"),
]


@pytest.mark.parametrize(("unit", "value", "expected"), UNIT_CASES)
def test_a_template_renders_the_value_by_its_unit(unit: str, value: float, expected: str) -> None:
    assert _say(unit, Says("<{}>", "missing"), value) == f"<{expected}>"


@pytest.mark.parametrize("value", [np.nan, None, float("inf"), "text", pd.NA])
def test_a_missing_value_has_its_own_words(value: object) -> None:
    assert _say("count", Says("{} things", "no records"), value) == "no records"


def test_zero_one_and_times() -> None:
    counted = Says("{} orders", "no records", none="no order", one="1 order")
    assert [_say("count", counted, v) for v in (0.0, 0.4, 1.0, 3.0)] == [
        "no order",
        "no order",
        "1 order",
        "3 orders",
    ]
    often = Says("ordered {}", "no records", none="never ordered", times=True)
    assert [_say("count", often, v) for v in (0.0, 1.0, 2.0, 12.0)] == [
        "never ordered",
        "ordered once",
        "ordered twice",
        "ordered 12 times",
    ]
    # without its own words, zero goes through the template
    assert _say("money", Says("average order {}", "none yet"), 0.0) == "average order 0"
    assert _say("count", Says("about {} orders", "?", digits=1), 1.26) == "about 1.3 orders"


def test_under_a_day_and_flags() -> None:
    since = Says("no order for {}", "never ordered", none="ordered within the last day")
    assert _say("days", since, 0.6) == "no order for 1 day"
    assert _say("days", since, 0.4) == "ordered within the last day"
    flag = Says("in the pool", "unknown", none="not in the pool")
    assert [_say("flag", flag, v) for v in (1.0, 0.0, 0.5, np.nan)] == [
        "in the pool",
        "not in the pool",
        "in the pool",
        "unknown",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("cold_outreach", "came in through cold outreach"), (None, "unknown"), (np.nan, "unknown")],
)
def test_categories_read_without_underscores(value: object, expected: str) -> None:
    assert _say("category", Says("came in through {}", "unknown"), value) == expected


def test_a_change_says_then_and_now_or_falls_back() -> None:
    change = Change("before", "after", "share", "in 90 days", Says("at {} of the past", "none"))
    d = FeatureDef("x", "a toy ratio", "ratio", change)
    assert d.phrase({"before": 0.41, "after": 0.09}) == "share fell from 41% to 9% in 90 days"
    assert d.phrase({"before": 0.1, "after": 0.3}) == "share rose from 10% to 30% in 90 days"
    assert d.phrase({"before": 0.301, "after": 0.299}) == "share unchanged at 30% in 90 days"
    assert d.phrase({"before": np.nan, "after": 0.3, "x": 1.5}) == "at 1.5x of the past"


def test_every_definition_has_a_unit_and_a_phrase() -> None:
    defs = (*REP_FEATURES, *REP_CATEGORICALS, *CUSTOMER_FEATURES, *CUSTOMER_CATEGORICALS)
    for d in defs:
        assert d.unit in UNITS, d.name
        assert d.description and "\n" not in d.description, d.name
        assert d.phrase({}), d.name  # a row without the value still reads (the missing words)
    for family in (
        (*REP_FEATURES, *REP_CATEGORICALS),
        (*CUSTOMER_FEATURES, *CUSTOMER_CATEGORICALS),
    ):
        names = [d.name for d in family]
        assert len(names) == len(set(names))
    assert tuple(d.name for d in CUSTOMER_CATEGORICALS) == FIRMOGRAPHICS
    assert [d.name for d in REP_CATEGORICALS] == ["t_model_stage"]
    assert {d.unit for d in (*REP_CATEGORICALS, *CUSTOMER_CATEGORICALS)} == {"category"}


def test_describe_lists_name_description_unit() -> None:
    table = describe(REP_FEATURES[:2])
    assert table.columns.tolist() == ["name", "description", "unit"]
    assert table["name"].tolist() == [d.name for d in REP_FEATURES[:2]]
