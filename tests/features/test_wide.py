"""Extract-wide inputs: a context over a part of the customers gives the whole extract's rows.

The sample's customers are split into three parts (each with every event of its customers and
the whole reps table, as a Spark partition gets them); the owner totals of the parts summed and
BG/NBD fitted on the buyers of all parts, handed in as :class:`ExtractWide`, must give exactly
the customer features of the whole extract.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stagnation.crm import CRM, load_crm
from stagnation.features import (
    OWNER_TOTALS,
    ExtractWide,
    FeatureContext,
    buyer_history,
    customer_features,
    fit_bgnbd,
    owner_totals,
)
from stagnation.labels import customer_population

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
DATES = pd.to_datetime(["2025-03-01", "2026-01-01"]).as_unit("ns")


@pytest.fixture(scope="module")
def crm() -> CRM:
    return load_crm(SAMPLE)


def parts(crm: CRM, n: int) -> list[CRM]:
    """Split ``crm`` by customer (every event goes with its customer; reps stay whole)."""
    part = pd.util.hash_pandas_object(crm.customers["customer_id"], index=False) % n
    out = []
    for i in range(n):
        mine = set(crm.customers["customer_id"][part.to_numpy() == i])
        frames = {
            name: frame[frame["customer_id"].isin(mine)].reset_index(drop=True)
            for name, frame in crm.tables()
            if name != "reps"
        }
        out.append(CRM.from_frames(**frames, reps=crm.reps))
    return out


def test_owner_totals_of_the_parts_add_up_to_the_whole(crm: CRM) -> None:
    whole = FeatureContext.build(crm)
    rep = np.tile(np.arange(len(whole.reps)), len(DATES))
    at = np.repeat(DATES.to_numpy(), len(whole.reps))
    want = owner_totals(whole, rep, at)
    assert set(want) == set(OWNER_TOTALS)
    assert want["activities_365d"].sum() > 0 and want["gained"].sum() > 0
    got = {name: np.zeros(len(rep)) for name in OWNER_TOTALS}
    for piece in parts(crm, 3):
        ctx = FeatureContext.build(piece)
        assert ctx.reps.equals(whole.reps)  # the whole reps table: the same codes
        for name, values in owner_totals(ctx, rep, at).items():
            got[name] += values
    for name in OWNER_TOTALS:
        np.testing.assert_array_equal(got[name], want[name])


def test_parts_with_the_extract_wide_inputs_give_the_whole_extracts_rows(crm: CRM) -> None:
    whole = FeatureContext.build(crm)
    population = customer_population(whole, DATES)
    want = customer_features(whole, population)

    pieces = [FeatureContext.build(p) for p in parts(crm, 3)]
    rep = np.tile(np.arange(len(whole.reps)), len(DATES))
    at = np.repeat(DATES.to_numpy(), len(whole.reps))
    totals = {name: np.zeros(len(rep)) for name in OWNER_TOTALS}
    for ctx in pieces:
        for name, values in owner_totals(ctx, rep, at).items():
            totals[name] += values
    index = pd.MultiIndex.from_arrays([whole.reps.to_numpy()[rep], at.view(np.int64)])
    bgnbd = {}
    for date in DATES.to_numpy():
        ids, x, t_x, age = [], [], [], []
        for ctx in pieces:
            codes, *summary = buyer_history(ctx, date)
            ids.append(ctx.customers.to_numpy()[codes])
            for values, part in zip((x, t_x, age), summary, strict=True):
                values.append(part)
        order = np.argsort(whole.customers.get_indexer(np.concatenate(ids)))
        bgnbd[int(date.view(np.int64))] = fit_bgnbd(
            *(np.concatenate(v)[order] for v in (x, t_x, age))
        )
    wide = ExtractWide(
        online_orders=bool(crm.orders is not None and crm.orders["channel"].notna().any()),
        bgnbd=bgnbd,
        totals=pd.DataFrame(totals, index=index),
    )
    rows = []
    for ctx in pieces:
        mine = population[population["customer_id"].isin(ctx.customers)]
        rows.append(customer_features(replace(ctx, wide=wide), mine))
    got = pd.concat(rows).sort_index()
    categoricals = ["industry", "region", "size", "source"]
    # not exact: window sums are differences of running sums over the index's events, and a
    # part's running sums pass through other values (9462.21999999974 vs 9462.22000000067);
    # a spread from running sums of squares loses more (1.2275000015 vs 1.2274999997 days)
    pd.testing.assert_frame_equal(
        got.drop(columns=categoricals), want.drop(columns=categoricals), rtol=1e-9, atol=1e-6
    )
    for name in categoricals:  # a part's categories are its own customers' values
        assert got[name].astype(object).equals(want[name].astype(object))
    assert want["p_alive"].notna().any() and want["owner_book_size"].notna().any()


def test_without_the_inputs_a_part_sees_only_its_own_customers(crm: CRM) -> None:
    """The check above can fail: a part alone gives other owner totals than the whole."""
    whole = FeatureContext.build(crm)
    piece = FeatureContext.build(parts(crm, 3)[0])
    population = customer_population(piece, DATES[-1:])
    alone = customer_features(piece, population)
    want = customer_features(whole, population)
    assert not np.allclose(alone["owner_book_size"], want["owner_book_size"], equal_nan=True)
