"""JupyterLab in a real browser: a student edits Experiment 1 and runs it (Playwright + chromium).

Then the same cell runs long: its live figure must change while it trains, and Kernel >
Interrupt Kernel from the menu must end it with its variables kept; run again with a network
that does not fit, it must fail with one message and keep them too. The server is the project's own, started as a student starts it (scripts/lab, no token given;
the browser opens the URL it printed), on a copy of the notebooks so that JupyterLab's autosave
leaves the committed ones untouched, and stopped with its kernels at the end. The figure's
screenshot is kept in $MNIST_LAB_HOME/artifacts/.
"""
import json
import os
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import nbformat
import pytest

import lab_server

REPO = Path(__file__).resolve().parents[2]
HOME = Path(os.environ["MNIST_LAB_HOME"])
NEURONS = "let neurons = [784, 1000, 1000, 10];"


@pytest.fixture
def lab(tmp_path):
    subprocess.run([REPO / "scripts" / "setup-browser"], check=True)
    shutil.copytree(REPO / "notebooks", tmp_path / "notebooks")
    for name in ("crate", "data", "Cargo.toml"):
        (tmp_path / name).symlink_to(REPO / name)
    with lab_server.lab(tmp_path / "notebooks", tmp_path / "lab.log") as server:
        yield server, tmp_path
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{server.base}/api/status?token={server.token}", timeout=2)


def test_student_edits_and_runs_experiment1_in_jupyterlab(lab):
    server, tmp = lab
    nb = nbformat.read(REPO / "notebooks" / "experiment1_minimnist.ipynb", as_version=4)
    (old,) = [c.source for c in nb.cells if c.cell_type == "code" and NEURONS in c.source]
    new = old.replace(NEURONS, "let neurons = [784, 100, 10];").replace("let nepoch = 50;", "let nepoch = 3;")
    (tmp / "cell.rs").write_text(new)
    (tmp / "long.rs").write_text(new.replace("let nepoch = 3;", "let nepoch = 1000;"))
    (tmp / "bad.rs").write_text(new.replace("let neurons = [784, 100, 10];", "let neurons = [784, 100];"))
    shots = HOME / "artifacts"
    shots.mkdir(exist_ok=True)
    shot = shots / "browser-experiment1-figure.png"
    shot.unlink(missing_ok=True)
    env = dict(
        os.environ, LAB_URL=server.url, CELL_ANCHOR="let mut history = History::new();", CELL_NEW_FILE=str(tmp / "cell.rs"),
        CELL_LONG_FILE=str(tmp / "long.rs"), CELL_BAD_FILE=str(tmp / "bad.rs"), SHOT=str(shot),
        PLAYWRIGHT_CORE=str(HOME / "browser" / "node_modules" / "playwright-core"),
    )
    done = subprocess.run(["node", REPO / "scripts" / "tests" / "browser_experiment1.cjs"], env=env,
                          capture_output=True, text=True, timeout=900)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print({k: v for k, v in report.items() if k != "output_text"}, "\n", report.get("output_text", "")[:3000])
    assert "error" not in report, report.get("error")
    assert "let neurons = [784, 100, 10];" in report["edited"] and "let nepoch = 3;" in report["edited"]
    out = report["output_text"]
    assert "# epoch     lossL     lossT    rateL    rateT" in out
    assert [line.split()[0] for line in out.splitlines() if line.strip()[:1].isdigit() and "   0." in line] == ["1", "2", "3"]
    assert "Total params: 79,510" in out
    assert report["figure_visible"] and report["figure_size"][0] > 600, report
    assert shot.stat().st_size > 10_000
    assert report["toasts"] == [], report["toasts"]
    # The live figure changed while the long run trained, under the table (header and rows
    # together above it); Kernel > Interrupt Kernel ended the cell normally and the next cell
    # read its variables.
    assert report["live_figure_changed"], report
    assert report["live_layout"]["above"] >= 2 and report["live_layout"]["below"] == 0, report
    assert report["interrupt_seconds"] < 5, report
    stopped = re.search(r"stopped after epoch (\d+)", report["interrupted_text"])
    assert stopped and "variable" not in report["interrupted_text"], report["interrupted_text"][-2000:]
    # Only the epoch in progress stopped early: the test pass after it and the final numbers
    # cover their whole sets.
    assert "this evaluation stopped" not in report["interrupted_text"], report["interrupted_text"][-2000:]
    assert re.fullmatch(r"kept \d+ epochs, 79510 parameters", report["after_text"]), report["after_text"]
    assert int(report["after_text"].split()[1]) >= int(stopped.group(1)), report
    # The same cell with a network that does not fit failed with the crate's message, and the
    # variables it was defining again are still those of the interrupted run.
    assert "neurons = [784, 100] ends with 100, but there are 10 classes" in report["failed_text"], report["failed_text"]
    assert "panicked" not in report["failed_text"] and "frame #" not in report["failed_text"], report["failed_text"]
    assert report["still_text"] == "still " + report["after_text"], report
    # The committed notebook is untouched; the copy was saved with the student's edit.
    assert NEURONS in (REPO / "notebooks" / "experiment1_minimnist.ipynb").read_text()
