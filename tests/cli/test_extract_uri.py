"""``--engine spark`` hands the extract's URI to Spark as typed (``s3a://``, ``hdfs://``)."""

from __future__ import annotations

import sys

import pytest

import stagnation.spark
from stagnation import cli
from stagnation.errors import BadExtract

URI = "s3a://crm-exports/2026-12/extract"


@pytest.mark.parametrize(
    "command",
    [
        ["features", URI, "--entity", "rep", "--as-of", "2026-01-01", "--out", "f.csv"],
        ["train", URI],
        ["score", URI, "--as-of", "2026-01-01", "--out", "a.csv"],
    ],
    ids=["features", "train", "score"],
)
def test_the_extract_uri_reaches_spark_unchanged(
    command: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: object,
) -> None:
    seen: list[object] = []

    def read_extract(session: object, root: object) -> object:
        seen.append(root)
        raise BadExtract("stopped by the test after reading the extract's address")

    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    monkeypatch.setattr(stagnation.spark, "spark_session", lambda: object())
    monkeypatch.setattr(stagnation.spark, "read_extract", read_extract)
    monkeypatch.setattr(sys, "argv", ["stagnation", *command, "--engine", "spark"])
    with pytest.raises(SystemExit) as caught:
        cli.main()

    assert seen == [URI]  # not s3a:/crm-exports/... as a file path would make it
    assert caught.value.code == 2
    assert "stopped by the test" in capsys.readouterr().err
