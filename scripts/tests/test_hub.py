"""A course on one server: the shared install (scripts/setup --system) and JupyterHub (scripts/hub)
with three students at once, each in a browser of their own, and an instructor.

The test makes three students and an instructor, Unix users in a group of their own, starts
the hub on 127.0.0.1, and has the three students log in at the same time, edit `neurons` in
Experiment 1 and run it (hub_students.cjs). Each must get the table, the figure and the
summary of their own network; no student may read or write another's files or write to the
shared install. Then an assignment goes round with nbgrader (hub_assignment.cjs): the
instructor releases it, the students fetch, answer and submit it in the Assignments tab, the
instructor collects, grades and returns feedback, and the students fetch it. When the hub
stops, every server and kernel is gone. Needs root (it makes users); the users are removed at
the end. The shared install goes to $MNIST_LAB_SYSTEM_TEST_DIR (default /var/tmp/mnist-lab-system),
outside root's home so that students can reach it, and is kept: a second run only checks it.
"""
import base64
import json
import os
import pwd
import re
import secrets
import shutil
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
INSTRUCTOR = "mlab-teach"
USERS = STUDENTS + [INSTRUCTOR]

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
    for user in USERS:
        subprocess.run(["userdel", "-r", user], capture_output=True)
        subprocess.run(["useradd", "-m", "-K", "HOME_MODE=0700", "-G", GROUP, "-s", "/bin/bash", user], check=True)
        passwords[user] = secrets.token_urlsafe(12)
        subprocess.run(["chpasswd"], input=f"{user}:{passwords[user]}\n", text=True, check=True)
    try:
        yield passwords
    finally:
        for user in USERS:
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
            subprocess.run(["userdel", "-r", user], capture_output=True)
        subprocess.run(["groupdel", GROUP], capture_output=True)


@pytest.fixture(scope="module")
def hub(students, tmp_path_factory):
    state = tmp_path_factory.mktemp("hub-state")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The exchange must be reachable by every user: not under pytest's folder, which is root's.
    exchange = Path(f"/var/tmp/mnist-lab-exchange-{port}")
    log = open(state / "hub.log", "w")
    proc = subprocess.Popen([REPO / "scripts" / "hub", str(SYSTEM), "--port", str(port), "--group", GROUP,
                             "--state", str(state), "--instructor", INSTRUCTOR, "--exchange", str(exchange)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/hub/login", timeout=2)
            break
        except OSError:
            assert proc.poll() is None, (state / "hub.log").read_text()
            time.sleep(0.5)
    try:
        yield url, students, state, proc, exchange
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=60)
        log.close()
        shutil.rmtree(exchange, ignore_errors=True)


def test_nbgrader_extensions_are_enabled_in_the_shared_install(system):
    """Students get the Assignments tab, instructors Formgrader and Create Assignment."""
    from test_assignments import assert_nbgrader_extensions_enabled

    assert_nbgrader_extensions_enabled(system / "venv")


def test_three_students_log_in_at_once_and_run_their_own_experiment1(hub, tmp_path):
    url, passwords, state, _, _ = hub
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
        assert "# epoch     lossL     lossT    rateL    rateT" in out, out
        assert [line.split()[0] for line in out.splitlines() if line.strip()[:1].isdigit() and "   0." in line] == ["1", "2", "3"], out
        assert f"Total params: {PARAMS[user]}" in out, out
        assert report["figure_visible"] and report["figure_size"][0] > 600, report
        # No instructor tools for a student: no Create Assignment tab, no Formgrader page.
        assert report["create_assignment_tabs"] == 0 and report["formgrader_status"] == 404, report
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
    # Nor make it unusable: no file of it is writable by all, and no student can hold a lock
    # that setup takes (it would wait for them).
    writable = subprocess.run(["find", str(SYSTEM), "-perm", "-o+w", "!", "-type", "l"], capture_output=True, text=True)
    assert writable.stdout == "", writable.stdout
    for lock in ("setup.lock", "evcxr-pool/template.lock", "venv/.lock"):
        assert as_user(b, "flock", "-n", str(SYSTEM / lock), "true").returncode != 0, lock
    # Each student's server and kernels keep their temporary files in a folder only they can
    # enter, not in the shared /tmp.
    for user in STUDENTS:
        tmp = Path(f"/home/{user}/.cache/mnist-lab/tmp")
        assert tmp.is_dir() and tmp.stat().st_mode & 0o077 == 0, tmp
        envs = [env for env in map(environ_of, processes_of(user)) if env]
        assert envs and all(env.get("TMPDIR") == str(tmp) for env in envs), (user, [e.get("TMPDIR") for e in envs])


def processes_of(user):
    """The ids of the course's processes (servers, kernels) that run as `user`."""
    uid = pwd.getpwnam(user).pw_uid
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and proc.stat().st_uid == uid:
                command = (proc / "cmdline").read_bytes()
                if b"jupyterhub-singleuser" in command or b"evcxr" in command:
                    pids.append(int(proc.name))
        except OSError:  # it ended meanwhile
            pass
    return pids


def environ_of(pid):
    """The environment a process started with (empty if it has ended)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    return dict(entry.split("=", 1) for entry in raw.decode(errors="replace").split("\0") if "=" in entry)


# The matmul assignment: what each student answers in its `matmul` cell (None: the source
# version's solution), and the marks its two tests must give (multiples of 4, other sizes).
# Every student's `timing` cell is the source version's, which draws the graph.
MATMUL_WRONG = """fn matmul(a: &[f32], b: &[f32], n: usize) -> Vec<f32> {
    // Four k at a time, for speed (the rest of k is forgotten).
    let mut c = vec![0.0f32; n * n];
    for i in 0..n {
        for k in (0..n / 4 * 4).step_by(4) {
            for j in 0..n {
                c[i * n + j] += a[i * n + k] * b[k * n + j] + a[i * n + k + 1] * b[(k + 1) * n + j]
                    + a[i * n + k + 2] * b[(k + 2) * n + j] + a[i * n + k + 3] * b[(k + 3) * n + j];
            }
        }
    }
    c
}"""
MATMUL_BROKEN = """fn matmul(a: &[f32], b: &[f32], n: usize) -> Vec<f32> {
    let mut c = vec![0.0f32; n * n]
    for i in 0..n {
        for j in 0..n {
            for k in 0..n {
                c[i * n + j] += a[i * n + k] * b[k * n + j];
            }
        }
    }
    c
}"""
ANSWERS = {"mlab-test1": None, "mlab-test2": MATMUL_WRONG, "mlab-test3": MATMUL_BROKEN}
MARKS = {"mlab-test1": (1, 2), "mlab-test2": (1, 0), "mlab-test3": (0, 0)}


def solution(nb, grade_id):
    """The source version's answer in the cell `grade_id`, without the solution markers."""
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return re.sub(r" *// (BEGIN|END) SOLUTION\n?", "", cell.source)


def figures(page):
    """The SVG figures of an HTML page from nbconvert (inline, as data: URLs)."""
    return [base64.b64decode(data).decode() for data in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)]


def nbgrader_as_instructor(exchange, *args):
    """`nbgrader ARGS` as the instructor types it in a terminal of their server: as them, in
    their course folder, with their server's environment."""
    env = ["env", "-i", f"HOME=/home/{INSTRUCTOR}", f"USER={INSTRUCTOR}", f"LOGNAME={INSTRUCTOR}",
           f"PATH={SYSTEM}/venv/bin:/usr/bin:/bin", f"MNIST_LAB_HOME={SYSTEM}",
           f"JUPYTER_PATH={SYSTEM}/venv/share/jupyter", f"MNIST_LAB_EXCHANGE={exchange}"]
    done = subprocess.run(["runuser", "-u", INSTRUCTOR, "--", *env, "nbgrader", *args],
                          cwd=f"/home/{INSTRUCTOR}/mnist-lab/course", capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-5000:])
    return done.stdout + done.stderr


def browsers(hub, phase, users, tmp_path):
    """Runs `phase` of hub_assignment.cjs for `users` (dicts with name and what the phase
    needs), each in a browser of their own; their reports by name."""
    url, passwords, state, _, _ = hub
    roster = tmp_path / f"{phase}.json"
    roster.write_text(json.dumps([dict(u, password=passwords[u["name"]]) for u in users]))
    shots = HOME / "artifacts"
    shots.mkdir(exist_ok=True)
    env = dict(os.environ, HUB_URL=url, USERS_FILE=str(roster), SHOT_DIR=str(shots), PHASE=phase, ASSIGNMENT="matmul",
               PLAYWRIGHT_CORE=str(HOME / "browser" / "node_modules" / "playwright-core"))
    done = subprocess.run(["node", REPO / "scripts" / "tests" / "hub_assignment.cjs"], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:] + (state / "hub.log").read_text()[-5000:]
    reports = {r["name"]: r for r in json.loads(done.stdout.strip().splitlines()[-1])}
    for name, report in reports.items():
        print(phase, name, report)
        assert "error" not in report, report["error"] + (state / "hub.log").read_text()[-5000:]
    return reports


def test_an_assignment_goes_round_the_course(hub, tmp_path):
    from test_assignments import hidden_tests, page_text

    url, _, _, _, exchange = hub
    subprocess.run([REPO / "scripts" / "setup-browser"], check=True)
    course = Path(f"/home/{INSTRUCTOR}/mnist-lab/course")
    source = course / "source" / "matmul" / "matmul.ipynb"
    outbound = exchange / "mnist-lab" / "outbound" / "matmul" / "matmul.ipynb"
    inbound = exchange / "mnist-lab" / "inbound"
    a, b = STUDENTS[0], STUDENTS[1]

    # The instructor's first login makes their course folder, which no student can read.
    browsers(hub, "login", [{"name": INSTRUCTOR}], tmp_path)
    assert source.is_file() and (course / "nbgrader_config.py").is_file()
    assert as_user(a, "cat", str(source)).returncode != 0
    assert as_user(a, "ls", str(course.parent)).returncode != 0
    # Closed by itself too, not only by the home's mode (Debian's default home is open to all).
    assert course.stat().st_mode & 0o077 == 0 and course.parent.stat().st_mode & 0o077 == 0

    hidden = hidden_tests(nbformat.read(REPO / "assignments" / "source" / "matmul" / "matmul.ipynb", as_version=4))
    assert "for n in [3, 7, 33, 65, 100, 127] {" in hidden
    nbgrader_as_instructor(exchange, "generate_assignment", "matmul")
    nbgrader_as_instructor(exchange, "release_assignment", "matmul")
    # Released: every student reads the released version, which has no hidden test, and still
    # neither the source version nor the folder submissions go to.
    released = as_user(a, "cat", str(outbound))
    assert released.returncode == 0 and "YOUR CODE HERE" in released.stdout, released.stderr
    assert not [line for line in hidden if line in released.stdout] and "BEGIN HIDDEN TESTS" not in released.stdout
    assert as_user(a, "cat", str(source)).returncode != 0
    assert as_user(a, "ls", str(inbound)).returncode != 0

    # Each student fetches, answers and submits in the Assignments tab, all at once.
    nb = nbformat.read(REPO / "assignments" / "source" / "matmul" / "matmul.ipynb", as_version=4)
    timing = tmp_path / "timing.rs"
    timing.write_text(solution(nb, "timing"))
    report = tmp_path / "report.md"
    report.write_text("Both slopes are near 3, libtorch's lower at small N.")
    students = []
    for user, answer in ANSWERS.items():
        cell = tmp_path / f"{user}-matmul.rs"
        cell.write_text(answer or solution(nb, "matmul"))
        students.append({"name": user, "feedback_dir": f"/home/{user}/mnist-lab/matmul/feedback",
                         "cells": [{"has": "fn matmul(a: &[f32], b: &[f32], n: usize)", "file": str(cell)},
                                   {"has": "YOUR CODE HERE", "hasNot": "fn matmul", "file": str(timing)},
                                   {"has": "YOUR ANSWER HERE", "file": str(report), "markdown": True}]})
    for path in tmp_path.iterdir():
        path.chmod(0o644)
    browsers(hub, "submit", students, tmp_path)
    # One submission each, owned by its student; no student can list them, nor read another's
    # fetched copy.
    submissions = sorted(inbound.iterdir())
    assert sorted(p.name.split("+")[0] for p in submissions) == STUDENTS, submissions
    for path in submissions:
        assert path.owner() == path.name.split("+")[0]
    assert as_user(b, "ls", str(inbound)).returncode != 0
    assert as_user(b, "cat", f"/home/{a}/mnist-lab/matmul/matmul.ipynb").returncode != 0

    # The instructor collects, grades (timed per submission) and returns feedback.
    nbgrader_as_instructor(exchange, "collect", "matmul")
    seconds = {}
    for user in STUDENTS:
        t0 = time.monotonic()
        nbgrader_as_instructor(exchange, "autograde", "matmul", "--student", user)
        seconds[user] = round(time.monotonic() - t0, 1)
    print("autograde seconds per submission of matmul:", seconds)
    nbgrader_as_instructor(exchange, "generate_feedback", "matmul")
    nbgrader_as_instructor(exchange, "release_feedback", "matmul")

    from nbgrader.api import Gradebook

    # (A copy: opening the gradebook may write to it, and it is the instructor's.)
    shutil.copyfile(course / "gradebook.db", tmp_path / "gradebook.db")
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        for user, (multiples, others) in MARKS.items():
            grades = {g.name: g for g in gb.find_submission_notebook("matmul", "matmul", user).grades}
            assert (grades["test_matmul"].auto_score, grades["test_odd_sizes"].auto_score) == (multiples, others), user
            # The graph and the report wait for the instructor.
            assert grades["timing"].needs_manual_grade and grades["report"].needs_manual_grade
    pages = {u: (course / "feedback" / u / "matmul" / "matmul.html").read_text() for u in STUDENTS}
    for user, page in pages.items():
        (HOME / "artifacts" / f"assignment-{user}-feedback.html").write_text(page)
    for user, page in pages.items():
        # The failed test's message; the student's graph where their product compiled; not the
        # hidden tests' code (but for the lines a compiler's message quotes).
        if user != STUDENTS[2]:
            assert not [line for line in hidden if line in page_text(page)], user
        assert any("matmul by hand (slope" in svg for svg in figures(page)) == (user != STUDENTS[2]), user
        assert not re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', page), "a resource from the web"
    assert "matmul, other sizes: all tests passed" in pages[a]
    assert "matmul for N = 1: your product differs from libtorch's" in pages[b]
    assert "matmul, multiples of 4: all tests passed" in pages[b]
    # The broken one: the compiler's words under the cell (zero for each test, as the gradebook
    # says above, and grading went on to the end).
    assert "expected `;`, found keyword `for`" in page_text(pages[STUDENTS[2]])

    # Each student fetches their feedback in the Assignments tab and opens it offline.
    fetched = browsers(hub, "feedback", students, tmp_path)
    for user, (multiples, others) in MARKS.items():
        report = fetched[user]
        assert report["feedback_score"] == f"Score: {float(multiples + others)} / 8.0", report
        assert report["feedback_figure_visible"] == (user != STUDENTS[2]), report
        assert report["web_requests"] == [], report
    assert as_user(b, "ls", str(exchange / "mnist-lab" / "feedback")).returncode != 0
    assert as_user(b, "cat", fetched[a]["feedback_file"]).returncode != 0

    # The instructor sees the three in Formgrader's gradebook of the notebook (which lists them
    # without names, for grading by hand: "Submission #1", its score, ...).
    (grades,) = browsers(hub, "grades", [{"name": INSTRUCTOR}], tmp_path).values()
    scores = sorted(row.split("\t")[2] for row in grades["gradebook"])
    assert scores == sorted(f"{sum(marks)} / 8" for marks in MARKS.values()), grades


def test_the_hub_stops_every_students_server(hub):
    # Runs after the students' test, in the same hub: stop it (Ctrl-C or a service stop sends
    # this signal) and look for what is left of the students' servers and kernels.
    url, _, state, proc, _ = hub
    proc.terminate()
    proc.wait(timeout=60)
    deadline = time.monotonic() + 30
    while True:
        left = [u for u in USERS if subprocess.run(["pgrep", "-u", u], capture_output=True).returncode == 0]
        proxy = subprocess.run(["pgrep", "-f", f"configurable-http-proxy.*{url.rsplit(':', 1)[1]}"], capture_output=True).returncode == 0
        if (not left and not proxy) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not left, {u: subprocess.run(["ps", "-u", u, "-o", "pid,cmd"], capture_output=True, text=True).stdout for u in left}
    assert not proxy
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{url}/hub/login", timeout=2)
