"""The Spark session of ``--engine spark``: local mode by default, any cluster Spark is told of.

PySpark is imported here, inside the functions, never at import time: the pandas path and
``stagnation --help`` never load it.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from typing import TYPE_CHECKING

from stagnation.errors import BadOption

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: PySpark 4.3 warns on every pandas exchange that it does not fully support pandas 3; the
#: exchanges used here (Arrow, plain dtypes) are pinned by the parity tests.
PANDAS_3_WARNING = "PySpark does not yet fully support pandas >= 3.0.0"

#: What to install when PySpark is missing.
INSTALL_SPARK = "pip install 'stagnation[spark]'"
#: What to install when Java is missing (PySpark 4 needs Java 17 or newer).
INSTALL_JAVA = "apt-get install openjdk-17-jre-headless (or set JAVA_HOME to a Java 17)"


def check_spark() -> None:
    """Raise ``BadOption`` saying what to install when PySpark or Java is missing.

    Raises
    ------
    BadOption
        When ``pyspark`` cannot be imported, or neither ``JAVA_HOME`` nor ``java`` on the
        ``PATH`` is there.
    """
    try:
        import pyspark  # noqa: F401
    except ImportError as err:
        raise BadOption(
            f"--engine spark needs PySpark, which is not installed: {INSTALL_SPARK}"
        ) from err
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise BadOption(
            f"--engine spark needs Java 17, which is not on this machine: {INSTALL_JAVA}"
        )


def spark_session(
    master: str | None = None,
    *,
    shuffle_partitions: int | None = None,
    driver_memory: str | None = None,
) -> SparkSession:
    """Return the running Spark session, or start one for the feature code.

    Parameters
    ----------
    master
        Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``); ``None`` keeps what
        ``spark-submit``/``PYSPARK_SUBMIT_ARGS`` or ``spark-defaults.conf`` say, else
        ``local[*]``.
    shuffle_partitions
        ``spark.sql.shuffle.partitions`` (Spark's default, 200, when ``None``); a few per core
        in local mode.
    driver_memory
        ``spark.driver.memory`` (``"4g"``) when this call starts the session; in local mode
        the executors live in the driver's JVM.

    Notes
    -----
    The workers run this very Python (``PYSPARK_PYTHON`` defaults to ``sys.executable``), in
    local mode on the loopback address (``SPARK_LOCAL_IP=127.0.0.1`` unless set), timestamps
    are read and written in UTC, the UI is off and pandas exchanges go through Arrow.
    """
    check_spark()
    warnings.filterwarnings("ignore", message=PANDAS_3_WARNING, category=FutureWarning)
    from pyspark.sql import SparkSession

    # the Python workers inherit the environment: the same narrow filter there
    quiet = f"ignore:{PANDAS_3_WARNING}:FutureWarning"
    if quiet not in os.environ.get("PYTHONWARNINGS", ""):
        os.environ["PYTHONWARNINGS"] = ",".join(
            w for w in (os.environ.get("PYTHONWARNINGS"), quiet) if w
        )
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName("stagnation")
    if master is not None:
        builder = builder.master(master)
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.pandas.convertToArrowArraySafely": "true",
        "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    }
    if shuffle_partitions is not None:
        settings["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    if driver_memory is not None:
        settings["spark.driver.memory"] = driver_memory
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
