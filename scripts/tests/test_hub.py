"""A course on one server: the shared install (scripts/setup --system) and JupyterHub (scripts/hub)
with three students at once, each in a browser of their own.

The test makes three Unix users in a group of their own, starts the hub on 127.0.0.1, and has
the three log in at the same time, edit `neurons` in Experiment 1 and run it (hub_students.cjs).
Each must get the table, the figure and the summary of their own network; no student may read
or write another's files or write to the shared install; and when the hub stops, every server
and kernel of the students is gone. Needs root (it makes users); the users are removed at the
end. The shared install goes to $MNIST_LAB_SYSTEM_TEST_DIR (default /var/tmp/mnist-lab-system),
outside root's home so that students can reach it, and is kept: a second run only checks it.
"""
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
HOME = Path(os.environ["MNIST_LAB_HOME"])
SYSTEM = Path(os.environ.get("MNIST_LAB_SYSTEM_TEST_DIR", "/var/tmp/mnist-lab-system"))
GROUP = "mnist-lab-test"
STUDENTS = ["mlab-test1", "mlab-test2", "mlab-test3"]
NETWORKS = {"mlab-test1": [784, 10], "mlab-test2": [784, 100, 10], "mlab-test3": [784, 50, 50, 10]}
PARAMS = {"mlab-test1": "7,850", "mlab-test2": "79,510", "mlab-test3": "42,310"}
NEURONS = "let neurons = [784, 1000, 1000, 10];"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="makes Unix users: run as root (CI does)")


def as_user(user, *cmd):
    """Runs `cmd` as `user` (runuser, a login-less switch); returns the CompletedProcess."""
    return subprocess.run(["runuser", "-u", user, "--", *cmd], capture_output=True, text=True)


def disk_bytes(path):
    """Bytes that `path` takes on disk, as du counts them (a link counts as a link)."""
    return int(subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True).stdout.split()[0])


@pytest.fixture(scope="module")
def system():
    t0 = time.monotonic()
    subprocess.run([REPO / "scripts" / "setup", "--system", str(SYSTEM)], check=True)
    first = time.monotonic() - t0
    t0 = time.monotonic()
    again = subprocess.run([REPO / "scripts" / "setup", "--system", str(SYSTEM), "--quiet"],
                           capture_output=True, text=True, check=True)
    print(f"shared install: {first:.0f} s, again {time.monotonic() - t0:.1f} s; {disk_bytes(SYSTEM) / 2**30:.2f} GiB")
    # Idempotent: the second run has nothing to do, says nothing, and takes seconds.
    assert again.stdout.strip() == "", again.stdout
    assert time.monotonic() - t0 < 30
    return SYSTEM


@pytest.fixture(scope="module")
def students(system):
    subprocess.run(["groupadd", "-f", GROUP], check=True)
    passwords = {}
    for user in STUDENTS:
        subprocess.run(["userdel", "-r", user], capture_output=True)
        subprocess.run(["useradd", "-m", "-K", "HOME_MODE=0700", "-G", GROUP, "-s", "/bin/bash", user], check=True)
        passwords[user] = secrets.token_urlsafe(12)
        subprocess.run(["chpasswd"], input=f"{user}:{passwords[user]}\n", text=True, check=True)
    try:
        yield passwords
    finally:
        for user in STUDENTS:
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
            subprocess.run(["userdel", "-r", user], capture_output=True)
        subprocess.run(["groupdel", GROUP], capture_output=True)


@pytest.fixture(scope="module")
def hub(students, tmp_path_factory):
    state = tmp_path_factory.mktemp("hub-state")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(state / "hub.log", "w")
    proc = subprocess.Popen([REPO / "scripts" / "hub", str(SYSTEM), "--port", str(port), "--group", GROUP,
                             "--state", str(state)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/hub/login", timeout=2)
            break
        except OSError:
            assert proc.poll() is None, (state / "hub.log").read_text()
            time.sleep(0.5)
    try:
        yield url, students, state, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=60)
        log.close()


def test_nbgrader_extensions_are_enabled_in_the_shared_install(system):
    """Students get the Assignments tab, instructors Formgrader and Create Assignment."""
    from test_assignments import assert_nbgrader_extensions_enabled

    assert_nbgrader_extensions_enabled(system / "venv")


def test_three_students_log_in_at_once_and_run_their_own_experiment1(hub, tmp_path):
    url, passwords, state, _ = hub
    subprocess.run([REPO / "scripts" / "setup-browser"], check=True)
    nb = nbformat.read(REPO / "notebooks" / "experiment1_minimnist.ipynb", as_version=4)
    (old,) = [c.source for c in nb.cells if c.cell_type == "code" and NEURONS in c.source]
    roster = []
    for user in STUDENTS:
        cell = tmp_path / f"{user}.rs"
        cell.write_text(old.replace(NEURONS, f"let neurons = {NETWORKS[user]};").replace("let nepoch = 50;", "let nepoch = 3;"))
        cell.chmod(0o644)
        roster.append({"name": user, "password": passwords[user], "cell_file": str(cell)})
    (tmp_path / "students.json").write_text(json.dumps(roster))
    shots = HOME / "artifacts"
    shots.mkdir(exist_ok=True)
    env = dict(os.environ, HUB_URL=url, STUDENTS_FILE=str(tmp_path / "students.json"), SHOT_DIR=str(shots),
               CELL_ANCHOR="let mut history = History::new();",
               PLAYWRIGHT_CORE=str(HOME / "browser" / "node_modules" / "playwright-core"))
    done = subprocess.run(["node", REPO / "scripts" / "tests" / "hub_students.cjs"], env=env,
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:] + (state / "hub.log").read_text()[-5000:]
    reports = json.loads(done.stdout.strip().splitlines()[-1])
    for report in reports:
        user = report["name"]
        print(user, {k: v for k, v in report.items() if k not in ("output_text", "edited")})
        assert "error" not in report, report["error"] + (state / "hub.log").read_text()[-5000:]
        out = report["output_text"]
        assert "# epoch  lossL  lossT  rateL  rateT" in out, out
        assert [line.split()[0] for line in out.splitlines() if line[:1].isdigit() and "   0." in line] == ["1", "2", "3"], out
        assert f"Total params: {PARAMS[user]}" in out, out
        assert report["figure_visible"] and report["figure_size"][0] > 600, report
        # The first cell compiled against the shared warm build, not tch from scratch (minutes).
        assert report["first_output_seconds"] and report["first_output_seconds"] < 120, report
        # The notebook is the student's own copy, saved with their edit.
        mine = Path(f"/home/{user}/mnist-lab/notebooks/experiment1_minimnist.ipynb")
        assert f"let neurons = {NETWORKS[user]};" in mine.read_text()
        assert (Path(f"/home/{user}/mnist-lab/crate").resolve()) == SYSTEM / "course" / "crate"
    # What each student costs on disk: their home (notebooks, cargo's own files) and their build
    # folder (links to the shared compiled crates, plus what is theirs).
    for user in STUDENTS:
        print(f"{user}: home {disk_bytes(Path('/home') / user) / 2**20:.0f} MiB")
    print("shared install:", f"{disk_bytes(SYSTEM) / 2**30:.2f} GiB")

    # No student can read or write another's files, nor write to the shared install.
    a, b = STUDENTS[0], STUDENTS[1]
    assert as_user(b, "ls", f"/home/{a}").returncode != 0
    assert as_user(b, "cat", f"/home/{a}/mnist-lab/notebooks/experiment1_minimnist.ipynb").returncode != 0
    assert as_user(b, "touch", f"/home/{a}/intruder").returncode != 0
    for target in ("course/notebooks/intruder", "venv/intruder", "evcxr-pool/template/intruder", "vendor/intruder"):
        assert as_user(b, "touch", str(SYSTEM / target)).returncode != 0, target
    assert as_user(b, "sh", "-c", f"echo x >> {SYSTEM / 'course' / 'crate' / 'src' / 'lib.rs'}").returncode != 0


def test_the_hub_stops_every_students_server(hub):
    # Runs after the students' test, in the same hub: stop it (Ctrl-C or a service stop sends
    # this signal) and look for what is left of the students' servers and kernels.
    url, _, state, proc = hub
    proc.terminate()
    proc.wait(timeout=60)
    deadline = time.monotonic() + 30
    while True:
        left = [u for u in STUDENTS if subprocess.run(["pgrep", "-u", u], capture_output=True).returncode == 0]
        proxy = subprocess.run(["pgrep", "-f", f"configurable-http-proxy.*{url.rsplit(':', 1)[1]}"], capture_output=True).returncode == 0
        if (not left and not proxy) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not left, {u: subprocess.run(["ps", "-u", u, "-o", "pid,cmd"], capture_output=True, text=True).stdout for u in left}
    assert not proxy
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/hub/login", timeout=2)
