"""One Spark session for every Spark test: local mode on 2 cores, few shuffle partitions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stagnation.spark import spark_session


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """Start local[2] once (about 5 s), stop it after the last test."""
    session = spark_session("local[2]", shuffle_partitions=4)
    yield session
    session.stop()
