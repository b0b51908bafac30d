"""The assignments with nbgrader on the Rust kernel, as an instructor runs them from a course
folder made by scripts/course: the released version holds neither solutions nor hidden tests
and its stub compiles and fails clearly; three submissions (right, partly wrong, not
compiling) are autograded to full, partial and zero marks, and each student's feedback page
names the failed test with its message and works offline."""
import html
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

SCRIPTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SCRIPTS))
import nbrun  # noqa: E402

# What each student hands in: the functions cell of the softmax assignment.
RIGHT = None  # the source version's solution, as it is
WRONG = '''fn softmax(z: &[f64]) -> Vec<f64> {
    let shift = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = z.iter().map(|v| (v - shift).exp()).collect();
    let total: f64 = exps.iter().sum();
    exps.iter().map(|e| e / total).collect()
}

fn cross_entropy(z: &[f64], label: usize) -> f64 {
    -softmax(z)[label].ln()
}'''
BROKEN = '''fn softmax(z: &[f64]) -> Vec<f64> {
    z.iter().map(|v| v.exp()).collect()
}

fn cross_entropy(z: &[f64], label: usize) -> f64 {
    let p = softmax(z)
    -p[label].ln()
}'''
STUDENTS = {"alice": RIGHT, "bob": WRONG, "carol": BROKEN}
ASSIGNMENTS = sorted(p.name for p in (SCRIPTS.parent / "assignments" / "source").iterdir() if p.is_dir())


def nbgrader(course, *args, timeout=1800):
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-5000:])
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    done = subprocess.run([str(SCRIPTS / "course"), str(course)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ASSIGNMENTS:
        assert f"{name}: source version copied" in done.stdout, done.stdout
        nbgrader(course, "generate_assignment", name)
    return course


def code_sources(nb):
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def test_the_course_folder_loads_the_crate_by_its_absolute_path(course):
    nb = nbformat.read(course / "source" / "softmax" / "softmax.ipynb", as_version=4)
    assert f':dep mnist_lab = {{ path = "{SCRIPTS.parent / "crate"}" }}' in code_sources(nb)
    again = subprocess.run([str(SCRIPTS / "course"), str(course)], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "softmax: already there, left as it is" in again.stdout, again.stdout


def page_text(page):
    """The text a reader sees on an HTML page: without tags (the code's colours), unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def hidden_tests(nb):
    """The lines that only `nb`'s hidden tests have (not a line that is also outside them, nor
    a short one such as "}")."""
    inside, outside, hidden = set(), set(), False
    for cell in nb.cells:
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line or "END HIDDEN TESTS" in line:
                hidden = "BEGIN" in line
            else:
                (inside if hidden else outside).add(line.strip())
    return sorted(line for line in inside - outside if len(line) > 12)


def secrets(nb):
    """The lines that only `nb`'s solutions and hidden tests have: between the markers, and
    the whole of a Markdown answer cell (not a line that is also outside them, nor a short one
    such as "}", which any program has)."""
    inside, outside = set(), set()
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
            inside.update(line.strip() for line in cell.source.splitlines())
            continue
        hidden = False
        for line in cell.source.splitlines():
            if "BEGIN SOLUTION" in line or "BEGIN HIDDEN TESTS" in line:
                hidden = True
            elif "END SOLUTION" in line or "END HIDDEN TESTS" in line:
                hidden = False
            else:
                (inside if hidden else outside).add(line.strip())
    return sorted(line for line in inside - outside if len(line) > 12)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_source_version_passes_its_own_tests(course, name):
    nb, secs = nbrun.execute(course / "source" / name / f"{name}.ipynb", allow_errors=True)
    print(f"{name}: source version run in {secs:.0f} s")
    assert nbrun.problems(nb) == [], nbrun.problems(nb)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_released_version_has_no_solutions_and_no_hidden_tests(course, name):
    source = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
    nb = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    released = "\n".join(c.source for c in nb.cells)
    assert secrets(source), name
    for secret in secrets(source) + ["BEGIN SOLUTION", "BEGIN HIDDEN TESTS"]:
        assert secret not in released, secret
    assert 'todo!("write your solution here, in place of this line")' in released
    assert "YOUR ANSWER HERE" in released


def test_the_released_stub_compiles_and_fails_clearly(course):
    path = course / "release" / "softmax" / "softmax.ipynb"
    nb, _ = nbrun.execute(path, allow_errors=True)
    found = nbrun.problems(nb)
    # The functions cell compiles; each test cell fails on the stub's sentence.
    assert [cell for cell, _ in found] == [3, 4], found
    assert all(m == "panic: not yet implemented: write your solution here, in place of this line"
               for _, m in found), found


def submit(course, student, functions):
    nb = nbformat.read(course / "release" / "softmax" / "softmax.ipynb", as_version=4)
    source = nbformat.read(course / "source" / "softmax" / "softmax.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "functions"]
    if functions is None:
        (solved,) = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "functions"]
        functions = re.sub(r" *// (BEGIN|END) SOLUTION\n", "", solved.source)
    cell.source = functions
    (answer,) = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "why_shift"]
    answer.source = f"{student}'s answer: the shift cancels in the quotient."
    folder = course / "submitted" / student / "softmax"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "softmax.ipynb")
    (folder / "timestamp.txt").write_text("2026-12-02 09:00:00.000000 UTC")


@pytest.fixture(scope="module")
def graded(course):
    for student, functions in STUDENTS.items():
        submit(course, student, functions)
    seconds = {}
    for student in STUDENTS:
        t0 = time.monotonic()
        nbgrader(course, "autograde", "softmax", "--student", student)
        seconds[student] = time.monotonic() - t0
    print(f"autograde seconds per submission: {seconds}")
    nbgrader(course, "generate_feedback", "softmax")
    return seconds


def scores(course, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook("softmax", "softmax", student)
        # None: waits for the instructor (a written answer).
        return {g.name: (None if g.needs_manual_grade else g.auto_score) for g in nb.grades}


def test_autograde_gives_full_partial_and_zero_marks(course, graded):
    # The written answer (None) waits for the instructor.
    assert scores(course, "alice") == {"test_softmax": 2, "test_cross_entropy": 2, "why_shift": None}
    # bob's softmax is right, his cross-entropy takes the log of a probability that rounded to 0.
    assert scores(course, "bob") == {"test_softmax": 2, "test_cross_entropy": 0, "why_shift": None}
    # carol's functions do not compile: every test that needs them scores zero, and grading went
    # on to the cells after them.
    assert scores(course, "carol") == {"test_softmax": 0, "test_cross_entropy": 0, "why_shift": None}
    carol = nbformat.read(course / "autograded" / "carol" / "softmax" / "softmax.ipynb", as_version=4)
    assert sorted({cell for cell, _ in nbrun.problems(carol)}) == [2, 3, 4], nbrun.problems(carol)


def test_feedback_names_the_failed_test_with_its_message_and_works_offline(course, graded):
    bob = (course / "feedback" / "bob" / "softmax" / "softmax.html").read_text()
    assert "cross-entropy of [[0.0, 0.0, 800.0]] against [0]: expected [800.0]" in bob, bob[-3000:]
    assert "softmax: all tests passed" in bob
    alice = (course / "feedback" / "alice" / "softmax" / "softmax.html").read_text()
    assert "cross-entropy: all tests passed" in alice and "expected [" not in alice
    carol = (course / "feedback" / "carol" / "softmax" / "softmax.html").read_text()
    # The compiler's own words under her cell, and the tests that needed it.
    assert "expected `;`, found `}`" in carol and "cannot find function `softmax` in this scope" in carol
    hidden = hidden_tests(nbformat.read(course / "source" / "softmax" / "softmax.ipynb", as_version=4))
    assert "check_batch(&[[0.0, 0.0, 800.0]], &[0])?;" in hidden
    for page, score in ((alice, "4.0"), (bob, "2.0"), (carol, "0.0")):
        assert f"Score: {score} / 5.0" in page
        # What the hidden tests printed is there (bob's message above), not their code. (Where a
        # test does not compile, as carol's, the compiler's message quotes the lines it failed on.)
        if page is not carol:
            assert not [line for line in hidden if line in page_text(page)]
        # Offline: nothing loaded from the web (nbgrader's MathJax script is left out).
        assert not re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', page), "a resource from the web"


def assert_nbgrader_extensions_enabled(venv):
    """The venv's Jupyter has nbgrader's server extensions and @jupyter/nbgrader enabled: the
    Assignments tab for students, Formgrader and Create Assignment for the instructor."""
    env = {"PATH": f"{venv}/bin:/usr/bin:/bin", "JUPYTER_PATH": f"{venv}/share/jupyter", "HOME": "/nonexistent"}

    def jupyter(*args):
        done = subprocess.run([f"{venv}/bin/jupyter", *args], capture_output=True, text=True, env=env)
        return done.stdout + done.stderr

    server, lab = jupyter("server", "extension", "list"), jupyter("labextension", "list")
    for name in ("formgrader", "assignment_list", "course_list", "validate_assignment"):
        assert re.search(rf"nbgrader\.server_extensions\.{name}\s+\S*enabled", server), server
    assert re.search(r"@jupyter/nbgrader v0\.9\.6 \S*enabled\S* \S*OK", lab), lab


def test_nbgrader_extensions_are_enabled_where_scripts_lab_runs():
    import os

    assert_nbgrader_extensions_enabled(Path(os.environ["MNIST_LAB_HOME"]) / "venv")
