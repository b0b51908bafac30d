"""scripts/lab as a student meets it: the URL it prints logs in, the token stays out of every
process's arguments, JupyterLab shows no news toast and offers the Rust kernel only, kernels
nobody uses are shut down, and the notebooks served are the student's working copy, never the
course's."""
import http.cookiejar
import json
import os
import re
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
        # No news toast: JupyterLab's notification settings as the page receives them (the
        # environment's overrides become the defaults of the settings' schema).
        settings = json.load(browser.open(
            f"{lab.base}/lab/api/settings/@jupyterlab/apputils-extension:notification", timeout=30))
        defaults = {k: v.get("default") for k, v in settings["schema"]["properties"].items()}
        assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False, defaults
        # Only the Rust kernel is offered (the Launcher, the Select Kernel dialog): Python cannot
        # run the course's notebooks. A notebook starts it without asking.
        specs = json.load(browser.open(f"{lab.base}/api/kernelspecs", timeout=30))
        assert list(specs["kernelspecs"]) == ["rust-tch"] and specs["default"] == "rust-tch", specs
        settings = json.load(browser.open(
            f"{lab.base}/lab/api/settings/@jupyterlab/notebook-extension:tracker", timeout=30))
        assert settings["schema"]["properties"]["autoStartDefaultKernel"]["default"] is True


def start_kernel(lab):
    """A kernel started through the REST API, as opening a notebook does; returns its id."""
    request = urllib.request.Request(f"{lab.base}/api/kernels", data=b'{"name": "rust-tch"}',
                                     headers={"Authorization": f"token {lab.token}"}, method="POST")
    kernel = json.load(urllib.request.urlopen(request, timeout=60))
    assert kernel["name"] == "rust-tch", kernel
    return kernel["id"]


def kernels(lab):
    request = urllib.request.Request(f"{lab.base}/api/kernels", headers={"Authorization": f"token {lab.token}"})
    return json.load(urllib.request.urlopen(request, timeout=30))


def test_an_idle_kernel_without_a_tab_is_shut_down(tmp_path):
    (tmp_path / "notebooks").mkdir()
    # The project's policy, as the server loads it from the environment (it is logged when
    # the first kernel starts): 30 idle minutes, not while a tab is connected.
    with lab_server.lab(tmp_path / "notebooks", tmp_path / "lab.log") as lab:
        start_kernel(lab)
        deadline = time.monotonic() + 30
        while "Culling kernels with idle durations" not in lab.text() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "Culling kernels with idle durations > 1800 seconds at 300 second intervals" in lab.text(), lab.text()[-3000:]
        assert "even with connected clients" not in lab.text()
    # The same culling with seconds instead of minutes: a kernel started and left alone goes.
    with lab_server.lab(tmp_path / "notebooks", tmp_path / "lab2.log",
                        "--MappingKernelManager.cull_idle_timeout=5", "--MappingKernelManager.cull_interval=1") as lab:
        start_kernel(lab)
        deadline = time.monotonic() + 60
        while kernels(lab) and time.monotonic() < deadline:
            time.sleep(1)
        assert kernels(lab) == []
        # (Never connected to, the kernel is still "starting" for the server.)
        assert re.search(r"Culling '\w+' kernel 'rust-tch' .* with 0 connections", lab.text()), lab.text()[-3000:]


def working_copy(course, work, *args):
    return subprocess.run([REPO / "scripts" / "working-copy", course, work, *args], capture_output=True, text=True)


def test_a_students_working_copy_is_theirs_and_a_lesson_can_be_had_fresh(tmp_path):
    work = tmp_path / "mnist-lab"
    lessons = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    done = working_copy(REPO, work)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (work / "notebooks").glob("*.ipynb")) == lessons
    assert (work / "crate").resolve() == REPO / "crate" and (work / "data").resolve() == REPO / "data"
    # The student edits one lesson and deletes another; the next start keeps the edit and
    # brings back only the missing lesson (as a lesson the course adds later).
    mine = work / "notebooks" / "experiment1_minimnist.ipynb"
    mine.write_text(mine.read_text().replace("let nepoch = 50;", "let nepoch = 5;"))
    (work / "notebooks" / "weights.ipynb").unlink()
    done = working_copy(REPO, work)
    assert done.stdout.strip() == f"copied into {work}/notebooks: weights.ipynb", done.stdout
    assert "let nepoch = 5;" in mine.read_text()
    # A fresh copy of one lesson: the course's again, the student's kept beside it.
    done = working_copy(REPO, work, "--fresh", "experiment1_minimnist")
    assert done.returncode == 0, done.stderr
    kept = [p for p in (work / "notebooks").glob("experiment1_minimnist.mine-*.ipynb")]
    assert len(kept) == 1 and "let nepoch = 5;" in kept[0].read_text(), kept
    assert mine.read_bytes() == (REPO / "notebooks" / "experiment1_minimnist.ipynb").read_bytes()
    done = working_copy(REPO, work, "--fresh", "experiment9")
    assert done.returncode == 2 and "the course has no lesson 'experiment9'" in done.stderr, done.stderr
    assert "  experiment1_minimnist\n" in done.stderr, done.stderr


def test_scripts_lab_serves_the_working_copy(tmp_path):
    work = tmp_path / "mnist-lab"
    with lab_server.lab(None, tmp_path / "lab.log", work=work) as lab:
        assert f"your working copy of the notebooks: {work}/notebooks" in lab.text(), lab.text()
        request = urllib.request.Request(f"{lab.base}/api/contents", headers={"Authorization": f"token {lab.token}"})
        listing = json.load(urllib.request.urlopen(request, timeout=30))
        names = {item["name"] for item in listing["content"]}
        assert "experiment1_minimnist.ipynb" in names and "crate" not in names, names
    assert (work / "notebooks" / "experiment1_minimnist.ipynb").is_file()
