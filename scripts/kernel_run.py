#!/usr/bin/env python3
"""Run code cells in a fresh "Rust (tch)" kernel and report what came back, with timings.

Used by scripts/setup (warm-up and first-cell check) and by the tests.

    kernel_run.py [--timeout S] [--kernel NAME] CELL [CELL ...]

Prints each cell's stream output as it arrives and, per cell, the seconds from the kernel's
start to the cell's first output and to its end. Exits 1 if a cell fails (an error output or
an error reply).
"""
import argparse
import queue
import signal
import sys
import time

from jupyter_client.manager import start_new_kernel


def run_cell(kc, code, timeout, t0, echo=True):
    """Execute one cell; return (outputs, seconds to first output, seconds to end, ok)."""
    msg_id = kc.execute(code)
    outputs, first, ok = [], None, True
    deadline = time.monotonic() + timeout
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=max(1.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError(f"cell did not finish within {timeout} s: {code[:60]!r}")
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind in ("stream", "display_data", "execute_result", "error"):
            now = time.monotonic() - t0
            first = first if first is not None else now
            outputs.append((now, kind, content))
            if kind == "stream":
                text = content["text"]
                if echo:
                    sys.stdout.write(text)
                    sys.stdout.flush()
            elif kind == "error":
                ok = False
                if echo:
                    print("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=30)
    ok = ok and reply["content"]["status"] == "ok"
    return outputs, first, time.monotonic() - t0, ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=600, help="seconds allowed per cell")
    ap.add_argument("--kernel", default="rust-tch")
    ap.add_argument("cells", nargs="+")
    args = ap.parse_args()
    # A `timeout`, a closed terminal or a kill of the setup that called us: shut the kernel
    # down (the `finally` below) rather than leave it compiling in its own session.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))

    t0 = time.monotonic()
    km, kc = start_new_kernel(kernel_name=args.kernel, startup_timeout=60)
    print(f"kernel started in {time.monotonic() - t0:.1f} s")
    failed = False
    try:
        for i, code in enumerate(args.cells, 1):
            _, first, end, ok = run_cell(kc, code, args.timeout, t0)
            first_s = f"{first:.1f} s" if first is not None else "no output"
            print(f"cell {i}: first output at {first_s}, done at {end:.1f} s after kernel start")
            if not ok:
                print(f"cell {i} failed", file=sys.stderr)
                failed = True
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
