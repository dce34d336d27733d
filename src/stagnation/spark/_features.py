"""Both entities' features at one ``as_of`` on Spark, sharing one extract-wide stage."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from stagnation.spark._customers import spark_customer_features
from stagnation.spark._extract import SparkExtract
from stagnation.spark._plan import buckets_of, extract_wide
from stagnation.spark._reps import spark_rep_features
from stagnation.timeline import to_ns

EntityName = Literal["rep", "customer"]


def spark_features_at(
    extract: SparkExtract,
    entities: Iterable[EntityName],
    as_of: pd.Timestamp | str,
    *,
    dormant_days: int = 90,
    buckets: int | None = None,
) -> dict[EntityName, pd.DataFrame]:
    """Return ``features_at(crm, entity, as_of)`` for each entity, computed on Spark.

    The extract-wide stage runs once for all entities asked for (``features --entity all``).
    """
    asked = list(dict.fromkeys(entities))
    at = pd.Timestamp(as_of)
    n = buckets_of(extract, buckets)
    dates = np.array([to_ns(pd.Series([at]))[0]])
    wide = extract_wide(
        extract,
        dates,
        dormant_days,
        buckets=n,
        customers="customer" in asked,
        reps="rep" in asked,
    )
    out: dict[EntityName, pd.DataFrame] = {}
    for entity in asked:
        build = spark_rep_features if entity == "rep" else spark_customer_features
        out[entity] = build(extract, at, dormant_days=dormant_days, buckets=n, wide=wide)
    return out
