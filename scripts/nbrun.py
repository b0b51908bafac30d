"""Execute notebooks headless with the project's kernel and find the cells that failed.

A Rust panic inside evcxr does not make nbconvert fail, so besides error outputs this looks
for panic text in every stream. Used by scripts/export-html and the notebook tests.
"""
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL = "rust-tch"
PANIC = re.compile(r"panicked at|Segmentation fault|Child process terminated|Subprocess terminated")


def cell_text(cell):
    """All text a code cell printed (stdout and stderr), in order."""
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def problems(nb):
    """(cell number, message) for each code cell that failed: an error output, or a panic."""
    found = []
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code_cells, 1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append((i, f"{out.get('ename')}: {out.get('evalue')}"))
        m = PANIC.search(cell_text(cell))
        if m:
            line = next(l for l in cell_text(cell).splitlines() if m.group(0) in l)
            found.append((i, line.strip()))
    return found


def execute(path, timeout=3600, allow_errors=False, source=None):
    """Run the notebook at `path` (or the notebook object `source`, run as if it were at
    `path`) from its own folder; return (executed notebook, seconds)."""
    path = Path(path)
    nb = source if source is not None else nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=timeout,
        startup_timeout=120,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    t0 = time.monotonic()
    client.execute()
    return nb, time.monotonic() - t0


def main():
    """Run the notebooks named on the command line and report failures (exit 1 if any)."""
    bad = False
    for name in sys.argv[1:]:
        nb, secs = execute(name, allow_errors=True)
        for cell, msg in problems(nb):
            print(f"{name}: code cell {cell} failed: {msg}")
            bad = True
        print(f"{name}: {secs:.0f} s")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
