"""Smoke run of scripts/bench: two epochs on minimnist, both implementations (timings are not checked)."""
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_runs_both_implementations_and_they_agree():
    out = subprocess.run(
        [REPO / "scripts" / "bench", "--data", "minimnist", "--neurons", "784,100,10", "--epochs", "2"],
        capture_output=True, text=True, check=True,
    ).stdout
    print(out)
    medians = dict(re.findall(r"^median_epoch_s impl=(rust|python) (\d+\.\d+)$", out, re.M))
    assert set(medians) == {"rust", "python"} and all(float(s) > 0 for s in medians.values())
    assert out.rstrip().splitlines()[-2:] == [f"median_epoch_s impl={k} {medians[k]}" for k in ("rust", "python")]
    # Same initial weights, same data order, same Adam: both learn the same amount in epoch 1.
    rows = {impl: row for epoch, impl, row in re.findall(r"^\s+(\d+)\s+(rust|python)\s+\S+\s+\S+\s+(.*)$", out, re.M) if epoch == "1"}
    got = {impl: [float(v) for v in row.split()] for impl, row in rows.items()}
    assert all(abs(a - b) < 1e-3 for a, b in zip(got["rust"], got["python"])), rows
    assert re.search(r"matmul peak .*: \d+ GFLOP/s", out)
