"""`stagnation sample OUT_DIR`: a valid extract and its truth; same seed, same bytes; exit 2."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stagnation import cli
from stagnation.cli import _extract as cli_extract
from stagnation.crm import TABLES, load_crm, validate_extract
from stagnation.simulator import SimConfig, simulate, write_sample

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SMALL = ["--reps", "6", "--customers", "300", "--months", "6"]
TRUTH = {"reps", "slides", "rep_months", "customers", "customer_months"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_sample_writes_all_six_tables_and_the_truth(
    runner: CliRunner, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "company"
    result = runner.invoke(cli.app, ["sample", str(out), *SMALL, "--format", fmt])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.glob(f"*.{fmt}")} == {f"{t}.{fmt}" for t in TABLES}
    assert {p.stem for p in (out / "truth").glob(f"*.{fmt}")} == TRUTH
    settings = json.loads((out / "truth" / "settings.json").read_text(encoding="utf-8"))
    assert settings["reps"] == 6 and settings["months"] == 6
    assert validate_extract(out).ok
    assert "activities" in result.stdout and "Traceback" not in result.output


def test_same_seed_same_bytes(runner: CliRunner, tmp_path: Path) -> None:
    for name in ("a", "b"):
        result = runner.invoke(cli.app, ["sample", str(tmp_path / name), *SMALL, "--seed", "5"])
        assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*"))
    assert len(files) == 12  # six tables, five truth tables, settings
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reps", "0"], "--reps"),
        (["--months", "2"], "--months"),
        (["--start", "2023-13-01"], "--start"),
        (["--format", "xlsx"], "xlsx"),
    ],
)
def test_bad_options_exit_2_with_a_message(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "company"
    result = runner.invoke(cli.app, ["sample", str(out), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()  # nothing half-written


def test_an_unwritable_target_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = runner.invoke(cli.app, ["sample", str(blocker), *SMALL])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.slow
def test_the_bundled_sample_is_what_the_default_settings_write(tmp_path: Path) -> None:
    """data/sample/ must be regenerated (`make sample`) whenever the simulator changes."""
    write_sample(simulate(SimConfig()), tmp_path)
    committed = sorted(p.relative_to(SAMPLE) for p in SAMPLE.rglob("*.*"))
    assert committed == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.*"))
    for rel in committed:
        assert (SAMPLE / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel
    crm = load_crm(SAMPLE)
    assert crm.reps is not None and len(crm.reps) == 120


def test_the_options_default_to_the_bundled_samples_settings() -> None:
    """`stagnation sample OUT_DIR` without options writes what `make sample` commits."""
    defaults = {
        name: p.default for name, p in inspect.signature(cli_extract.sample).parameters.items()
    }
    config = SimConfig()
    for name in ("seed", "reps", "customers", "months"):
        assert defaults[name] == getattr(config, name), name
    assert defaults["start"] == config.start.isoformat()
