"""Execute notebooks headless with the project's kernel and find the cells that failed.

The project's kernel marks every failed cell as Jupyter does, with an `error` output and an
error reply, whatever failed: a compile error, a panic, an error returned with `?`, an
interrupt (scripts/evcxr_jupyter.patch). Used by scripts/export-html and the notebook tests.
"""
import copy
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL = "rust-tch"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(text):
    """`text` without ANSI colour codes."""
    return ANSI.sub("", text)


def cell_text(cell):
    """All text a code cell shows, in order: what it printed, and its error (as the student
    sees it, without colour codes)."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append(plain("\n".join(out.get("traceback", []))) + "\n")
    return "".join(parts)


def failure(out):
    """The one-line message of an `error` output: the first line of its value ("panic: ..."
    for a panic)."""
    lines = plain(out.get("evalue", "")).strip().splitlines() or [""]
    return ("panic: " if out.get("ename") == "Panic" else "") + lines[0]


def problems(nb):
    """(code cell number from 1, message) for each failed cell, in order."""
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    return [(i, failure(out)) for i, cell in enumerate(code_cells, 1)
            for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def first_failure(nb):
    """The first failing cell as "code cell N: message", noting how many later cells failed
    too (usually because they use what the failed cell did not make); None if none failed."""
    found = problems(nb)
    if not found:
        return None
    cell, message = found[0]
    later = len({c for c, _ in found if c != cell})
    note = f" ({later} later cell(s) failed too, probably because of this one)" if later else ""
    return f"code cell {cell}: {message}{note}"


def _client(nb, path, timeout, allow_errors):
    """A client that runs `nb` with the project's kernel from the folder of `path`."""
    return NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=timeout,
        startup_timeout=120,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(Path(path).parent.resolve())}},
    )


def execute(path, timeout=3600, allow_errors=False, source=None, kernel_output=None):
    """Run the notebook at `path` (or the notebook object `source`, run as if it were at
    `path`) from its own folder; return (executed notebook, seconds). `kernel_output`, an open
    file, receives what the kernel process itself prints (its log), instead of our terminal."""
    nb = source if source is not None else nbformat.read(path, as_version=4)
    redirect = {"stdout": kernel_output, "stderr": kernel_output} if kernel_output else {}
    t0 = time.monotonic()
    _client(nb, path, timeout, allow_errors).execute(**redirect)
    return nb, time.monotonic() - t0


def execute_twice(path, timeout=3600, allow_errors=False):
    """Run every cell of the notebook at `path`, then every cell again in the same kernel, as
    a student who runs all cells again from the top; return ((first pass, second pass),
    seconds)."""
    nb = nbformat.read(path, as_version=4)
    client = _client(nb, path, timeout, allow_errors)
    passes = []
    t0 = time.monotonic()
    with client.setup_kernel():
        for _ in range(2):
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            passes.append(copy.deepcopy(nb))
    return tuple(passes), time.monotonic() - t0


def main():
    """Run the notebooks named on the command line and report failures (exit 1 if any)."""
    bad = False
    for name in sys.argv[1:]:
        nb, secs = execute(name, allow_errors=True)
        failure = first_failure(nb)
        if failure:
            print(f"{name}: {failure}")
            bad = True
        print(f"{name}: {secs:.0f} s")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
