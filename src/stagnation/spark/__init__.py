"""The Spark engine (``--engine spark``): the pandas feature code run per partition.

Optional: ``pip install 'stagnation[spark]'`` (PySpark) and Java 17. Nothing here imports
PySpark at import time; :func:`spark_session` starts (or joins) a session,
:func:`read_extract` reads an extract on any path Spark reads, and
:func:`spark_customer_features` / :func:`spark_customer_snapshots` and
:func:`spark_rep_features` / :func:`spark_rep_snapshots` give the rows the pandas path gives,
from plans of two ``groupBy(...).applyInPandas`` stages (see :mod:`stagnation.spark._plan`,
:mod:`stagnation.spark._customers` and :mod:`stagnation.spark._reps`); :func:`spark_score`
gives the action list with its inputs from Spark (:mod:`stagnation.spark._score`).
"""

from stagnation.spark._customers import spark_customer_features, spark_customer_snapshots
from stagnation.spark._extract import SparkExtract, read_extract
from stagnation.spark._features import spark_features_at
from stagnation.spark._reps import spark_rep_features, spark_rep_roster, spark_rep_snapshots
from stagnation.spark._score import spark_score, spark_scoring_inputs
from stagnation.spark._session import check_spark, spark_session

__all__ = [
    "SparkExtract",
    "check_spark",
    "read_extract",
    "spark_customer_features",
    "spark_customer_snapshots",
    "spark_features_at",
    "spark_rep_features",
    "spark_rep_roster",
    "spark_rep_snapshots",
    "spark_score",
    "spark_scoring_inputs",
    "spark_session",
]
