"""Execute notebooks headless with the project's kernel and find the cells that failed.

evcxr ends a cell whose code returns an error with `?` with status "ok" and shows the error
as ordinary text, and a Rust panic does not make nbconvert fail either. So besides error
outputs (compile errors, interrupts) this looks for two signals in the cells' text: the mark
that the crate puts before every error it shows in a kernel (`mnist_lab::notebook::ERROR_MARK`,
a red "error:" that a student's own printing does not produce), and panic messages.
Used by scripts/export-html and the notebook tests.
"""
import copy
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL = "rust-tch"
# mnist_lab::notebook::ERROR_MARK: "error:" in bold red, then the message.
ERROR_MARK = "\x1b[1;31merror:\x1b[0m "
PANIC = re.compile(r"panicked at|Segmentation fault|Child process terminated|Subprocess terminated")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def cell_text(cell):
    """All text a code cell printed (stdout and stderr), in order."""
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def plain(text):
    """`text` without ANSI colour codes."""
    return ANSI.sub("", text)


def problems(nb):
    """(code cell number from 1, message) for each failure, in order: an error output, an error
    returned by the crate (its mark), or a panic."""
    found = []
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code_cells, 1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append((i, plain(f"{out.get('ename')}: {out.get('evalue')}").strip()))
        for line in cell_text(cell).splitlines():
            failure = failure_in_text(line)
            if failure:
                found.append((i, failure))
    return found


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


def failure_in_text(text):
    """The failure that a cell's printed `text` shows, or None: the crate's error mark (then
    its message) or a panic (then that line)."""
    for line in text.splitlines():
        if ERROR_MARK in line:
            return plain(line.split(ERROR_MARK, 1)[1]).strip()
        if PANIC.search(line):
            return plain(line).strip()
    return None


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
