"""Render the README's pictures with the notebooks' own code.

Run with ``make readme-images``. Every notebook holding a code cell tagged
``readme-image:NAME`` is executed top to bottom (against a throwaway MLflow store, so
``./mlflow.db`` is neither read nor changed), and the first PNG that cell displays is written to
``docs/images/NAME.png``. The README shows those files, so its pictures are exactly what the
notebooks draw.
"""

from __future__ import annotations

import base64
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent
IMAGES = NOTEBOOKS.parent / "docs" / "images"
TAG = "readme-image:"


def tagged(notebook: nbformat.NotebookNode) -> dict[str, int]:
    """Return ``{image name: cell index}`` of the cells tagged for the README."""
    out = {}
    for index, cell in enumerate(notebook.cells):
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag.startswith(TAG):
                out[tag.removeprefix(TAG)] = index
    return out


def first_png(cell: nbformat.NotebookNode) -> bytes:
    """Return the first PNG a cell displayed."""
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if "image/png" in data:
            return base64.b64decode(data["image/png"])
    raise ValueError("the cell displayed no PNG image")


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp}/mlflow.db"
        for path in sorted(NOTEBOOKS.glob("*.ipynb")):
            notebook = nbformat.read(path, as_version=4)
            wanted = tagged(notebook)
            if not wanted:
                continue
            started = time.perf_counter()
            NotebookClient(
                notebook,
                timeout=300,
                kernel_name="python3",
                resources={"metadata": {"path": str(NOTEBOOKS)}},
            ).execute()
            for name, index in wanted.items():
                try:
                    png = first_png(notebook.cells[index])
                except ValueError as error:
                    sys.exit(f"{path.name}, cell {index} ({TAG}{name}): {error}")
                target = IMAGES / f"{name}.png"
                target.write_bytes(png)
                written.append(target)
            print(f"{path.name}: ran in {time.perf_counter() - started:.0f} s")
    for target in written:
        print(f"wrote {target.relative_to(NOTEBOOKS.parent)} ({target.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
