"""scripts/lab as a student meets it: the URL it prints logs in, the token stays out of every
process's arguments, JupyterLab shows no news toast, and kernels nobody uses are shut down."""
import http.cookiejar
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import lab_server

REPO = lab_server.REPO


def group_cmdlines(pgid):
    """The command lines of every process in the process group `pgid` (the server's)."""
    lines = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if os.getpgid(int(proc.name)) == pgid:
                lines.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ProcessLookupError):
            pass
    return lines


def test_the_printed_url_logs_in_and_the_token_is_not_in_any_command_line(tmp_path):
    shutil.copytree(REPO / "notebooks", tmp_path / "notebooks")
    with lab_server.lab(tmp_path / "notebooks", tmp_path / "lab.log") as lab:
        assert "..." not in lab.token and len(lab.token) >= 32, lab.url
        # A browser opening the URL gets the page and a login cookie for later requests.
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        assert browser.open(lab.url, timeout=30).status == 200
        assert any(c.name.startswith("username-") for c in jar), list(jar)
        kernels = json.load(browser.open(f"{lab.base}/api/kernels", timeout=30))
        assert kernels == []
        # Without the token: refused.
        try:
            urllib.request.urlopen(f"{lab.base}/api/kernels", timeout=30)
            raise AssertionError("the server answered without a token")
        except urllib.error.HTTPError as e:
            assert e.code == 403
        cmdlines = group_cmdlines(os.getpgid(lab.proc.pid))
        assert any("jupyter-lab" in c for c in cmdlines), cmdlines
        assert not [c for c in cmdlines if lab.token in c], cmdlines
        # No news toast: JupyterLab's notification settings as the page receives them.
        settings = json.load(browser.open(
            f"{lab.base}/lab/api/settings/@jupyterlab/apputils-extension:notification", timeout=30))
        composite = settings["settings"]
        assert composite["fetchNews"] == "false" and composite["checkForUpdates"] is False, composite


def test_an_idle_kernel_without_a_tab_is_shut_down(tmp_path):
    # The project's settings, as the server loads them: 30 idle minutes, tab closed.
    shown = subprocess.run(
        [str(REPO / "scripts" / "lab"), "--show-config"], capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if k != "JUPYTER_TOKEN"},
    ).stdout
    for line in ("cull_idle_timeout", "1800", "cull_connected", "False"):
        assert line in shown, shown[-2000:]
    # The same culling, with seconds instead of minutes: a kernel started and left alone goes.
    (tmp_path / "notebooks").mkdir()
    with lab_server.lab(tmp_path / "notebooks", tmp_path / "lab.log",
                        "--MappingKernelManager.cull_idle_timeout=5", "--MappingKernelManager.cull_interval=1") as lab:
        auth = {"Authorization": f"token {lab.token}"}
        request = urllib.request.Request(f"{lab.base}/api/kernels", data=b'{"name": "rust-tch"}', headers=auth, method="POST")
        kernel = json.load(urllib.request.urlopen(request, timeout=60))
        assert kernel["name"] == "rust-tch"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            kernels = json.load(urllib.request.urlopen(urllib.request.Request(f"{lab.base}/api/kernels", headers=auth), timeout=30))
            if not kernels:
                break
            time.sleep(1)
        assert kernels == [], kernels
        assert "Culling kernel" in lab.text() or "culling" in lab.text().lower(), lab.text()[-3000:]
