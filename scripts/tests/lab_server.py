"""Starts scripts/lab the way a student does (no token given), takes the login URL from what
it prints, and stops it (with its kernels) afterwards. Shared by the lab and browser tests."""
import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
URL = re.compile(r"(http://127\.0\.0\.1:(\d+)/lab\?token=([^\s]+))")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running scripts/lab: `url` is the one it printed, `base` and `token` its parts."""

    def __init__(self, proc, log):
        self.proc, self.log, self.lines = proc, log, []
        self.url = self.base = self.token = None

    def text(self):
        return "".join(self.lines)


@contextlib.contextmanager
def lab(notebooks, log_path, *args, timeout=180, work=None):
    """scripts/lab serving `notebooks` on a free port (or, with `work`, the working copy it
    makes in that folder, as for a student); yields a Lab once its URL is printed."""
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_TOKEN", "MNIST_LAB_NOTEBOOKS")}
    if work:
        env["MNIST_LAB_WORK"] = str(work)
    else:
        env["MNIST_LAB_NOTEBOOKS"] = str(notebooks)
    proc = subprocess.Popen(
        # A workspace folder of its own: JupyterLab restores no tabs left open by another
        # session (a tab of a notebook that is not there kept the page from loading its own).
        [REPO / "scripts" / "lab", f"--port={free_port()}",
         f"--LabApp.workspaces_dir={Path(log_path).parent / 'workspaces'}", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    server = Lab(proc, log_path)
    found = threading.Event()

    def read():
        with open(log_path, "w") as log:
            for line in proc.stdout:
                server.lines.append(line)
                log.write(line)
                log.flush()
                m = URL.search(line)
                if m and not found.is_set():
                    server.url, port, server.token = m.group(1), m.group(2), m.group(3)
                    server.base = f"http://127.0.0.1:{port}"
                    found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not found.wait(timeout):
            raise AssertionError(f"scripts/lab printed no login URL within {timeout} s:\n{server.text()[-3000:]}")
        # The URL is printed as the server starts listening; wait until it answers.
        for _ in range(60):
            try:
                urllib.request.urlopen(f"{server.base}/api/status?token={server.token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        yield server
    finally:
        # SIGTERM: jupyter_server shuts its kernels down, then exits.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
