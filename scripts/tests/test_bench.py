"""Smoke runs of scripts/bench: two epochs on minimnist (timings are not checked)."""
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = [REPO / "scripts" / "bench", "--data", "minimnist", "--neurons", "784,100,10", "--epochs", "2"]


def full_torch():
    """The venv has the full PyTorch (`import torch` works), not the CPU-only variant."""
    return subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0


def medians(out):
    return dict(re.findall(r"^median_epoch_s impl=(rust|python) (\d+\.\d+)$", out, re.M))


def test_bench_runs_the_crate_and_measures_the_peak_with_it():
    out = subprocess.run([*BENCH, "--impl", "rust"], capture_output=True, text=True, check=True).stdout
    print(out)
    assert set(medians(out)) == {"rust"} and float(medians(out)["rust"]) > 0, out
    assert re.search(r"matmul peak .*: \d+ GFLOP/s", out), out
    assert re.search(r"^rust +\d+\.\d+ .*\( *\d+%\)", out, re.M), out


def test_the_python_baseline_agrees_or_says_it_needs_the_full_torch():
    done = subprocess.run(BENCH, capture_output=True, text=True, env=dict(os.environ))
    if not full_torch():
        # The CPU-only venv (a machine without an NVIDIA driver): one clear sentence, no trace.
        assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
        assert "needs the full PyTorch" in done.stderr and "MNIST_LAB_TORCH=full scripts/setup" in done.stderr, done.stderr
        return
    assert done.returncode == 0, done.stderr
    out = done.stdout
    print(out)
    m = medians(out)
    assert set(m) == {"rust", "python"} and all(float(s) > 0 for s in m.values())
    assert out.rstrip().splitlines()[-2:] == [f"median_epoch_s impl={k} {m[k]}" for k in ("rust", "python")]
    # Same initial weights, same data order, same Adam: both learn the same amount in epoch 1.
    rows = {impl: row for epoch, impl, row in re.findall(r"^\s+(\d+)\s+(rust|python)\s+\S+\s+\S+\s+(.*)$", out, re.M) if epoch == "1"}
    got = {impl: [float(v) for v in row.split()] for impl, row in rows.items()}
    assert all(abs(a - b) < 1e-3 for a, b in zip(got["rust"], got["python"])), rows
    assert re.search(r"matmul peak .*: \d+ GFLOP/s", out)
