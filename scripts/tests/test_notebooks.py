"""The notebooks, executed headless the way a student runs them, and checked on what they show."""
import base64
import re
import sys
from pathlib import Path

import nbformat
import pytest

SCRIPTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SCRIPTS))
import nbrun  # noqa: E402

NOTEBOOKS = SCRIPTS.parent / "notebooks"
ROW = re.compile(r"^\d+   \d+\.\d{5}   \d+\.\d{5}   [01]\.\d{4}   [01]\.\d{4}$", re.M)
FINAL = re.compile(r"^# (train|test): loss (\d+\.\d{5})  accuracy ([01]\.\d{4})$", re.M)
_executed = {}


def run(name, edit=None, extra_cells=()):
    """Execute notebooks/<name> (optionally edited like a student would); cache plain runs."""
    path = NOTEBOOKS / name
    if edit is None and not extra_cells and name in _executed:
        return _executed[name]
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if edit and cell.cell_type == "code":
            cell.source = edit(cell.source)
    nb.cells.extend(nbformat.v4.new_code_cell(src) for src in extra_cells)
    nb, secs = nbrun.execute(path, allow_errors=True, source=nb)
    print(f"{name}: executed in {secs:.0f} s")
    if edit is None and not extra_cells:
        _executed[name] = nb
    return nb


def text(nb):
    return "".join(nbrun.cell_text(c) for c in nb.cells if c.cell_type == "code")


def svgs(nb):
    return [
        o["data"]["image/svg+xml"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "image/svg+xml" in o.get("data", {})
    ]


def finals(nb):
    return {which: (float(loss), float(rate)) for which, loss, rate in FINAL.findall(text(nb))}


def test_notebooks_are_committed_without_outputs():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name} cell {i} has outputs"
        assert nb.metadata.kernelspec.name == "rust-tch", path.name


def test_experiment1_as_committed():
    nb = run("experiment1_minimnist.ipynb")
    assert nbrun.problems(nb) == []
    out = text(nb)
    assert "training samples: 5000  test samples: 1000" in out
    assert "# epoch  lossL  lossT  rateL  rateT" in out
    rows = ROW.findall(out)
    assert [int(r.split()[0]) for r in rows] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50]
    (fig,) = svgs(nb)
    for title in ("loss (network = [784, 1000, 1000, 10])", "accuracy (network = [784, 1000, 1000, 10])"):
        assert title in fig
    assert "Total params: 1,796,010" in out
    f = finals(nb)
    assert f["train"][1] >= 0.99, f
    assert f["test"][1] >= 0.93, f


def test_experiment2_as_committed():
    nb = run("experiment2_mnist.ipynb")
    assert nbrun.problems(nb) == []
    out = text(nb)
    assert "training samples: 60000  test samples: 10000" in out
    assert [int(r.split()[0]) for r in ROW.findall(out)] == list(range(1, 21))
    (fig,) = svgs(nb)
    assert "loss (network = [784, 1000, 1000, 10])" in fig and "accuracy for test data" in fig
    assert "Total params: 1,796,010" in out
    assert finals(nb)["test"][1] >= 0.975, finals(nb)


def test_comparison_as_committed():
    nb = run("compare_models.ipynb")
    assert nbrun.problems(nb) == []
    (fig,) = svgs(nb)
    for label in ("test loss", "test accuracy", "[784, 10]", "[784, 1000, 10]", "[784, 1000, 1000, 10]"):
        assert label in fig
    table = nbrun.cell_text([c for c in nb.cells if c.cell_type == "code"][-1])
    lines = table.strip().splitlines()
    assert lines[0].split()[:3] == ["network", "params", "lossL"]
    params = [int(re.search(r"\]\s+(\d+)", line).group(1)) for line in lines[1:]]
    assert params == [7850, 795010, 1796010]


def test_student_switches_the_network_and_epochs():
    def edit(src):
        return src.replace("let neurons = [784, 1000, 1000, 10];", "let neurons = [784, 100, 10];").replace(
            "let nepoch = 50;", "let nepoch = 3;"
        )

    nb = run("experiment1_minimnist.ipynb", edit=edit)
    assert nbrun.problems(nb) == []
    out = text(nb)
    assert len(ROW.findall(out)) == 3
    assert "loss (network = [784, 100, 10])" in svgs(nb)[0]
    assert "Total params: 79,510" in out


def test_invalid_network_gives_one_message_and_keeps_the_variables():
    def edit(src):
        return src.replace("let neurons = [784, 1000, 1000, 10];", "let neurons = [784, 0, 10];")

    nb = run("experiment1_minimnist.ipynb", edit=edit, extra_cells=['println!("still here: {} {}", ds_l.len(), device);'])
    out = text(nb)
    assert "panicked" not in out
    # The message shows under the cell that failed, and nowhere else.
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and "let neurons" in c.source]
    assert "neurons = [784, 0, 10] is not a valid network: entry 1 is 0" in nbrun.cell_text(cell)
    assert out.count("is not a valid network") == 1
    assert re.search(r"still here: 5000 (cpu|cuda:0)", out), out


def test_html_export_embeds_the_figure():
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter().from_notebook_node(run("experiment1_minimnist.ipynb"))
    # nbconvert embeds each SVG output as a base64 data URI in an <img>.
    figures = [base64.b64decode(b).decode() for b in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)]
    assert any("<svg" in f and "loss (network = [784, 1000, 1000, 10])" in f for f in figures), len(figures)
    assert "# test: loss" in html
