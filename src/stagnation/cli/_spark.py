"""The ``--engine spark`` side of ``features``, ``train`` and ``score``.

PySpark is imported inside these functions, so the pandas engine and ``--help`` never pay for
it; a failure inside a Spark task reaches the user as bad input (exit 2) with the task's own
last line (:func:`spark_failures`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pandas as pd
import typer

from stagnation.errors import BadExtract

if TYPE_CHECKING:
    from stagnation.scoring import ScoringResult
    from stagnation.spark import SparkExtract


class Engine(StrEnum):
    """Where the feature code runs."""

    pandas = "pandas"
    spark = "spark"


#: The --engine option of features, train and score.
EngineOption = Annotated[
    Engine,
    typer.Option(
        help="pandas (one machine), or spark for `features`, `train` and `score` (the spark "
        "extra and Java 17; README, Scaling out)."
    ),
]


def check_engine(engine: Engine) -> None:
    """Refuse the Spark engine before any work when PySpark or Java is missing."""
    if engine is Engine.spark:
        from stagnation.spark import check_spark

        check_spark()


def spark_scoring(data_dir: str, at: pd.Timestamp, **options: Any) -> ScoringResult:
    """Return ``score_with_drift``'s result with its inputs computed on Spark (``options`` are
    its keywords)."""
    from stagnation.spark import read_extract, spark_score, spark_session

    with spark_failures(Engine.spark):
        return spark_score(read_extract(spark_session(), data_dir), at, **options)


def spark_rows(
    data_dir: str,
    entities: tuple[Literal["rep", "customer"], ...],
    at: pd.Timestamp,
    *,
    dormant_days: int,
    reach_days: int,
) -> dict[Literal["rep", "customer"], pd.DataFrame]:
    """Return ``features`` rows of ``entities`` computed on Spark (a local or given master).

    ``at`` may lie at most ``reach_days`` after the data's end, as on the pandas engine. A
    failure inside a Spark task (a value a partition cannot read) is reported as bad input with
    the task's own last line, not as a Java stack trace.
    """
    from stagnation.snapshots import check_moment_in_range
    from stagnation.spark import read_extract, spark_features_at, spark_session

    with spark_failures(Engine.spark):
        extract = read_extract(spark_session(), data_dir)
        start, end = extract.data_range()
        check_moment_in_range(at, start, end, horizon_days=reach_days)
        return spark_features_at(extract, entities, at, dormant_days=dormant_days)


@contextmanager
def spark_failures(engine: Engine) -> Iterator[None]:
    """Report a failure inside a Spark job (a value a partition cannot read) as bad input, with
    the task's own last line, not as a Java stack trace; nothing to do for the pandas engine."""
    if engine is not Engine.spark:
        yield
        return
    from pyspark.errors import PySparkException

    try:
        yield
    except PySparkException as err:
        lines = [line for line in str(err).strip().splitlines() if line.strip()]
        raise BadExtract(f"Spark failed: {lines[-1] if lines else type(err).__name__}") from err


def spark_extract(data_dir: str) -> SparkExtract:
    """Return the extract read by Spark (a local or given master) for ``train --engine spark``."""
    from stagnation.spark import read_extract, spark_session

    with spark_failures(Engine.spark):
        return read_extract(spark_session(), data_dir)
