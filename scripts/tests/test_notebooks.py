"""The notebooks, executed headless the way a student runs them, and checked on what they show."""
import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

SCRIPTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SCRIPTS))
import nbrun  # noqa: E402

NOTEBOOKS = SCRIPTS.parent / "notebooks"
ROW = re.compile(r"^ *\d+   \d+\.\d{5}   \d+\.\d{5}   [01]\.\d{4}   [01]\.\d{4}$", re.M)
FINAL = re.compile(r"^# (train|test): loss (\d+\.\d{5})  accuracy ([01]\.\d{4})$", re.M)
# notebook name -> its two passes (Run All, then Run All again in the same kernel)
_executed = {}


def run(name, edit=None, extra_cells=()):
    """Execute notebooks/<name> (optionally edited like a student would). A notebook as
    committed runs twice in one kernel, as a student re-running it from the top; the first
    pass is returned, both are cached (see `assert_clean`)."""
    path = NOTEBOOKS / name
    if edit is None and not extra_cells:
        if name not in _executed:
            runs, secs = nbrun.execute_twice(path, allow_errors=True)
            print(f"{name}: executed twice in one kernel in {secs:.0f} s")
            _executed[name] = runs
        return _executed[name][0]
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if edit and cell.cell_type == "code":
            cell.source = edit(cell.source)
    nb.cells.extend(nbformat.v4.new_code_cell(src) for src in extra_cells)
    nb, secs = nbrun.execute(path, allow_errors=True, source=nb)
    print(f"{name}: executed in {secs:.0f} s")
    return nb


def unit_results(nb):
    """The `()` results shown under cells (e.g. under a cell that ends with a `for` loop)."""
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.get("output_type") == "execute_result" and o.get("data", {}).get("text/plain") == "()"]


def assert_clean(name):
    """Both passes of a committed notebook: no failed cell, no stray `()`."""
    for i, nb in enumerate(_executed[name], 1):
        assert nbrun.problems(nb) == [], (f"pass {i}", nbrun.problems(nb))
        assert unit_results(nb) == [], f"pass {i}"


def text(nb):
    return "".join(nbrun.cell_text(c) for c in nb.cells if c.cell_type == "code")


def outputs(nb, mime):
    """The outputs of type `mime` (e.g. image/png) of every code cell, in order."""
    return [o["data"][mime] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if mime in o.get("data", {})]


def svgs(nb):
    return outputs(nb, "image/svg+xml")


def finals(nb):
    return {which: (float(loss), float(rate)) for which, loss, rate in FINAL.findall(text(nb))}


def assert_final_output_in_order(nb):
    """The training cell reads as the original's: table, figure, final numbers, summary; the
    live area (progress bar, live figure) and the kernel's "Compiling" notice left nothing."""
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and "for t in 1..=nepoch" in c.source]
    kinds = []
    for o in cell.outputs:
        if o.get("output_type") == "stream":
            kinds.append("final" if "# train: loss" in o["text"] else "summary" if "Total params" in o["text"] else
                         "table" if ROW.search(o["text"]) else "text")
        elif "image/svg+xml" in o.get("data", {}):
            kinds.append("figure")
        else:
            assert o.get("data") == {"text/plain": ""}, o  # an emptied live area
    order = [k for i, k in enumerate(kinds) if k != "text" and (i == 0 or kinds[i - 1] != k)]
    assert order[-4:] == ["table", "figure", "final", "summary"] or order[-3:] == ["table", "figure", "final"], kinds
    everything = str([c.outputs for c in nb.cells if c.cell_type == "code"])
    for leftover in ("<progress", "EVCXR_JUPYTER_MESSAGE", "EVCXR_INTERRUPT_HANDLED", "Compiling this cell"):
        assert leftover not in everything, leftover


def test_notebooks_are_committed_without_outputs():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name} cell {i} has outputs"
        assert nb.metadata.kernelspec.name == "rust-tch", path.name


def test_experiment1_as_committed():
    nb = run("experiment1_minimnist.ipynb")
    assert_clean("experiment1_minimnist.ipynb")
    out = text(nb)
    assert "training samples: 5000  test samples: 1000" in out
    assert "# epoch     lossL     lossT    rateL    rateT" in out
    rows = ROW.findall(out)
    assert [int(r.split()[0]) for r in rows] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50]
    (fig,) = svgs(nb)
    for title in ("loss (network = [784, 1000, 1000, 10])", "accuracy (network = [784, 1000, 1000, 10])"):
        assert title in fig
    assert "Total params: 1,796,010" in out
    assert_final_output_in_order(nb)
    f = finals(nb)
    assert f["train"][1] >= 0.99, f
    assert f["test"][1] >= 0.93, f


def test_experiment2_as_committed():
    nb = run("experiment2_mnist.ipynb")
    assert_clean("experiment2_mnist.ipynb")
    out = text(nb)
    assert "training samples: 60000  test samples: 10000" in out
    assert [int(r.split()[0]) for r in ROW.findall(out)] == list(range(1, 21))
    (fig,) = svgs(nb)
    assert "loss (network = [784, 1000, 1000, 10])" in fig and "accuracy for test data" in fig
    assert "Total params: 1,796,010" in out
    assert_final_output_in_order(nb)
    assert finals(nb)["test"][1] >= 0.975, finals(nb)


def test_comparison_as_committed():
    nb = run("compare_models.ipynb")
    assert_clean("compare_models.ipynb")
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


def test_html_export_embeds_the_figure_and_needs_nothing_from_the_web():
    import export_html

    html = export_html.to_html(run("experiment1_minimnist.ipynb"), "experiment1_minimnist")
    # nbconvert embeds each SVG output as a base64 data URI in an <img>.
    figures = [base64.b64decode(b).decode() for b in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)]
    # The learning curves once, in their final state (the live copy was emptied), and no
    # progress bar or kernel notice left over.
    curves = [f for f in figures if "loss (network = [784, 1000, 1000, 10])" in f]
    assert len(curves) == 1, len(curves)
    assert "loss (network" not in html and "<progress" not in html and "Compiling this cell" not in html
    assert "# test: loss" in html
    assert "<title>Experiment 1: multilayer perceptrons on a small set of handwritten digits</title>" in html
    # Offline: no script, style sheet or font fetched from elsewhere.
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="(?:https?:)?//', html), "a page resource comes from the web"


def test_export_says_which_notebooks_differ_from_the_committed_ones(tmp_path):
    import export_html

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    for name in ("a.ipynb", "b.ipynb"):
        (tmp_path / name).write_text("{}")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "course")
    notebooks = [tmp_path / "a.ipynb", tmp_path / "b.ipynb"]
    assert export_html.edited(notebooks) == []
    (tmp_path / "b.ipynb").write_text('{"edited": true}')
    assert export_html.edited(notebooks) == ["b.ipynb"]


def test_export_names_the_cell_that_failed_with_its_own_message(tmp_path):
    """A `?` error fails its cell; the export reports it with its own message (not the compile
    errors of the later cells that needed its variables) and exits non-zero."""
    import subprocess

    out = tmp_path / "html"
    done = subprocess.run(
        [str(SCRIPTS / "export-html"), str(out), "experiment1_minimnist.ipynb"],
        env=dict(os.environ, MNIST_LAB_DATA="/nonexistent"), capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("FAILED: experiment1_minimnist.ipynb, code cell 2: cannot read data file "
            "/nonexistent/minimnist.npz") in done.stderr, done.stderr
    assert "later cell(s) failed too" in done.stderr, done.stderr
    # The kernel's own chatter stays in its log; setup, quiet on a ready machine, says nothing.
    assert "Loading startup configuration" not in done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "[1/1] experiment1_minimnist.ipynb: executing ...", done.stdout
    assert "Loading startup configuration" in (out / "logs" / "experiment1_minimnist.kernel.log").read_text()
    assert "<title>Experiment 1:" in (out / "experiment1_minimnist.html").read_text()


def test_a_failure_in_the_last_cell_is_found_and_printed_words_are_not_failures():
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "rust-tch", "display_name": "Rust (tch)"}})
    nb.cells = [nbformat.v4.new_code_cell(src) for src in (
        ':dep mnist_lab = { path = "../crate" }\nuse mnist_lab::*;',
        'println!("error: this line is only text, and so is: panicked");',
        'let data = minimnist_from("/nonexistent.npz", Device::Cpu)?;',
    )]
    nb, _ = nbrun.execute(NOTEBOOKS / "scratch.ipynb", allow_errors=True, source=nb)
    assert nbrun.problems(nb) == [(3, "cannot read data file /nonexistent.npz: No such file or directory (os error 2).")], nbrun.problems(nb)
    assert nbrun.first_failure(nb).startswith("code cell 3: cannot read data file /nonexistent.npz")


def _exp1(replace, extra):
    """Experiment 1 with text replacements in its cells (and 1 epoch), plus extra cells."""

    def edit(src):
        for old, new in replace:
            assert old in NOTEBOOK_TEXT, old
            src = src.replace(old, new)
        return src.replace("let nepoch = 50;", "let nepoch = 1;")

    return run("experiment1_minimnist.ipynb", edit=edit, extra_cells=extra)


NOTEBOOK_TEXT = "".join(c.source for c in nbformat.read(NOTEBOOKS / "experiment1_minimnist.ipynb", as_version=4).cells)
NEURONS = "let neurons = [784, 1000, 1000, 10];"
STILL_HERE = 'println!("still here: {} {}", ds_l.len(), device);'


@pytest.mark.parametrize(
    "replace, message",
    [
        ([(NEURONS, "let neurons = [784];")], "neurons = [784] is not a valid network: it needs at least two entries"),
        ([(NEURONS, "let neurons = [100, 10];")], "neurons = [100, 10] starts with 100, but each image has 784 inputs"),
        ([(NEURONS, "let neurons = [784, 0, 10];")], "neurons = [784, 0, 10] is not a valid network: entry 1 is 0"),
        ([(NEURONS, "let neurons = [784, 1000, 9];")], "neurons = [784, 1000, 9] ends with 9, but there are 10 classes"),
        ([("let nepoch = 50;", "let nepoch = 0;")], "the epoch log is empty, so there is nothing to plot"),
        ([("DataLoader::new(&ds_l, 100, false)", "DataLoader::new(&ds_l, 0, false)")], "batch_size must be at least 1"),
    ],
    ids=["one-entry", "wrong-inputs", "zero-layer", "wrong-classes", "nepoch-0", "batch-0"],
)
def test_bad_input_in_the_experiment_cell(replace, message):
    nb = _exp1(replace, [STILL_HERE])
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and "let neurons" in c.source]
    assert message in nbrun.cell_text(cell), nbrun.cell_text(cell)
    # The export's check names this cell (code cell 3) with this message.
    assert nbrun.first_failure(nb).startswith(f"code cell 3: {message}"), nbrun.first_failure(nb)
    out = text(nb)
    assert out.count(message) == 1 and "panicked" not in out
    assert re.search(r"still here: 5000 (cpu|cuda:0)", out), out


def _bad_data(tmp_path, damage):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(SCRIPTS.parent / "data", data)
    damage(data / "minimnist.npz")
    return str(data)


def _relabelled(path):
    import numpy as np

    z = dict(np.load(path))
    z["labT"][0] = (z["labT"][0] + 1) % 10
    np.savez(path, **z)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: p.unlink(), "cannot read data file"),
        (lambda p: p.write_bytes(p.read_bytes()[:100000]), "is not a valid minimnist file"),
        (_relabelled, "has MD5"),
    ],
    ids=["missing", "corrupted", "wrong-checksum"],
)
def test_bad_data_file(tmp_path, monkeypatch, damage, message):
    monkeypatch.setenv("MNIST_LAB_DATA", _bad_data(tmp_path, damage))
    nb = run("experiment1_minimnist.ipynb", extra_cells=['println!("still here: {device}");'])
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and "minimnist(device)" in c.source]
    shown = nbrun.cell_text(cell)
    assert message in shown and "minimnist.npz" in shown, shown
    assert f"MNIST_LAB_DATA points to {os.environ['MNIST_LAB_DATA']}" in shown, shown
    out = text(nb)
    assert out.count(message) == 1 and "panicked" not in out
    assert re.search(r"still here: (cpu|cuda:0)", out), out
    assert nbrun.first_failure(nb).startswith("code cell 2: "), nbrun.first_failure(nb)


def test_a_panic_keeps_the_variables():
    # Indexing past the end of a tensor panics inside tch (not a `?` error): a failed cell,
    # with the panic's message and not the hook's "panicked at" a generated file.
    nb = _exp1([], ['println!("{:?}", ds_l.images().get(123456).size());', STILL_HERE])
    out = text(nb)
    assert "panic: " in out and "index 123456 out of range" in out and "panicked at" not in out, out
    assert nbrun.first_failure(nb).startswith("code cell 4: panic: "), nbrun.first_failure(nb)
    assert re.search(r"still here: 5000 (cpu|cuda:0)", out), out


def test_weights_notebook_shows_maps_and_an_animation_that_survive_export():
    from nbconvert import HTMLExporter

    nb = run("weights.ipynb")
    assert_clean("weights.ipynb")
    out = text(nb)
    assert len(ROW.findall(out)) == 20
    pngs = [base64.b64decode(p) for p in outputs(nb, "image/png")]
    assert len(pngs) == 4 and all(p.startswith(b"\x89PNG") for p in pngs)
    (html_out,) = outputs(nb, "text/html")
    gif = base64.b64decode(re.search(r'src="data:image/gif;base64,([^"]+)"', html_out).group(1))
    assert gif.startswith(b"GIF89a") and "21 frames" in out
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert "data:image/gif;base64," in html
    assert all(p.strip().replace("\n", "") in html for p in outputs(nb, "image/png"))


def test_mistakes_notebook_numbers_are_consistent():
    nb = run("mistakes.ipynb")
    assert_clean("mistakes.ipynb")
    out = text(nb)
    assert len(outputs(nb, "image/png")) == 2
    last_rate_t = float(ROW.findall(out)[-1].split()[4])
    m = re.search(r"test images: 1000  correct: ([01]\.\d{4})  mistakes: (\d+)", out)
    accuracy, mistakes = float(m.group(1)), int(m.group(2))
    assert accuracy == last_rate_t
    assert f"total: 1000  on the diagonal: {accuracy:.4f}" in out
    rows = re.findall(r"^\s+(\d)\s+(\d+)\s+(\d+)\s+([01]\.\d{4})$", out, re.M)
    assert [int(r[0]) for r in rows] == list(range(10))
    samples, correct = sum(int(r[1]) for r in rows), sum(int(r[2]) for r in rows)
    assert samples == 1000 and correct == 1000 - mistakes and abs(correct / 1000 - accuracy) < 1e-9
    assert re.search(rf"^\s+all\s+1000\s+{correct}\s+{accuracy:.4f}$", out, re.M)


def test_cnn_vs_mlp_notebook_compares_both_kinds():
    nb = run("cnn_vs_mlp.ipynb")
    assert_clean("cnn_vs_mlp.ipynb")
    out = text(nb)
    assert "Total params: 296,518" in out
    (fig,) = svgs(nb)
    for label in ("test accuracy against size", "test accuracy against time", "MLP", "CNN",
                  "log10(number of parameters)", "test accuracy (fraction correct)"):
        assert label in fig
    # Each point is named with its network, in both panels (when it is on the scale).
    texts = re.findall(r">\s*([^<>]*?)\s*</text>", fig)
    for network in ("[784, 1000, 10]", "CNN(4, 4, 128)"):
        assert 1 <= texts.count(network) <= 2, (network, texts)
    rows = re.findall(r"^(MLP|CNN)\s+(\S.*?)\s+(\d+)\s+([01]\.\d{4})\s+([01]\.\d{4})\s+(\d+\.\d{3})$", out, re.M)
    assert [int(r[2]) for r in rows] == [7850, 25450, 101770, 795010, 37284, 296518, 591906], rows
    assert all(0.5 < float(r[4]) <= 1 and float(r[5]) > 0 for r in rows), rows


def test_optimizers_notebook_overlays_runs_and_batch_sizes():
    nb = run("optimizers.ipynb")
    assert_clean("optimizers.ipynb")
    out = text(nb)
    opt_fig, batch_fig = svgs(nb)
    for label in ("SGD, lr 0.001", "SGD, lr 0.0001", "Adam, lr 0.001", "training loss", "test accuracy"):
        assert label in opt_fig
    for size in (10, 100, 1000):
        assert f"batch {size} (" in batch_fig
    adam = re.search(r"^Adam lr 0.001\s+(10 .*)$", out, re.M).group(1)
    batch100 = re.search(r"^batch  100: \d+\.\d{3} s/epoch\s+(10 .*)$", out, re.M).group(1)
    # Same seed, network, optimizer and batch size: the two runs must agree exactly.
    assert adam == batch100, (adam, batch100)
    assert len(re.findall(r"^batch\s+\d+: \d+\.\d{3} s/epoch", out, re.M)) == 3


def test_building_blocks_notebook_shows_the_numbers_by_hand_and_the_pictures():
    import struct

    nb = run("building_blocks.ipynb")
    assert_clean("building_blocks.ipynb")
    out = text(nb)
    assert "relu(-2) = 0  relu(3) = 3" in out and "sigmoid(0) = 0.5" in out, out
    # Softmax: probabilities that add up to 1, equal to libtorch's.
    probs = [float(v) for v in re.search(r"-> probabilities \[([^\]]+)\], sum 1.0000", out).group(1).split(", ")]
    assert abs(sum(probs) - 1) < 1e-3 and probs == sorted(probs), probs
    assert float(re.search(r"largest difference: (\S+)", out).group(1)) < 1e-12
    # The classic example: right answer (2) against wrong answer (5).
    assert "sum of squared errors: right (2) 0.0975   wrong (5) 0.5975" in out, out
    assert "cross-entropy:         right (2) 0.5108   wrong (5) 2.3026" in out, out
    # Shapes at each step.
    assert re.search(r"label \d; as a row \[784\], as a matrix \[28, 28\]", out), out
    assert "back to a row: [1, 784], same numbers: true" in out and "a batch of six images: [6, 784]" in out
    for step, shape in (("image", "[1, 1, 28, 28]"), ("filter", "[1, 1, 3, 3]"), ("conv", "[1, 1, 26, 26]"), ("pooled", "[1, 1, 13, 13]")):
        assert re.search(rf"^{step} +{re.escape(shape)}$", out, re.M), (step, out)
    # The digit as a table: 14 printed rows of 28 characters with ink in them.
    table = re.findall(r"^[.0-9]{28}$", out, re.M)
    assert len(table) == 14 and sum(c != "." for row in table for c in row) > 20, table
    # Two figures (activations, -log(y)) and one PNG of three pictures side by side.
    figs = svgs(nb)
    assert len(figs) == 2 and "sigmoid and tanh" in figs[0] and "-log(y)" in figs[1], len(figs)
    # Both axes of every panel say what they show.
    assert "sigmoid(x), tanh(x)" in figs[0] and "cross-entropy -log(y), in nats" in figs[1]
    (png,) = [base64.b64decode(p) for p in outputs(nb, "image/png")]
    width, height = struct.unpack(">II", png[16:24])
    # Three pictures are few: each in a cell of 184 × 196 pixels (the picture 168 wide).
    assert png.startswith(b"\x89PNG") and width >= 3 * 184 + 20 and height == 196 + 50, (width, height)


def test_numerical_gradient_notebook_agrees_with_backpropagation_and_trains():
    nb = run("numerical_gradient.ipynb")
    assert_clean("numerical_gradient.ipynb")
    out = text(nb)
    assert "in all: 39760 parameters" in out, out
    # Both gradients of each parameter agree to about 1e-7 (the notebook says why).
    diffs = dict(re.findall(r"^ +(W1|b1|W2|b2) +\d+  (\S+)$", out, re.M))
    assert set(diffs) == {"W1", "b1", "W2", "b2"} and all(float(d) < 1e-6 for d in diffs.values()), diffs
    times = re.search(r"one backward pass: (\S+) ms   one numerical gradient: (\S+) s   \((\d+) times longer\)", out)
    assert times and int(times.group(3)) > 1000, out
    # With replacement about 1 - 1/e of the images are seen per epoch; without, each once.
    seen = [float(p) for p in re.findall(r"with replacement, epoch \d: \d+ of 5000 \((\S+) %\)", out)]
    assert len(seen) == 3 and all(60 < p < 66 for p in seen), seen
    assert "without replacement: 5000 of 5000 seen, each exactly 1 time(s)" in out, out
    # SGD lowers the loss and reaches a sane accuracy in 10 epochs.
    first, last = map(float, re.search(r"loss of the first batch (\S+), of the last (\S+)", out).groups())
    assert first > 2.0 and last < 0.8 * first, (first, last)
    rows = re.findall(r"^ +(\d+)  (0\.\d{4})  (0\.\d{4})$", out, re.M)
    assert [int(r[0]) for r in rows] == list(range(1, 11)) and float(rows[-1][2]) > 0.8, rows
    figs = svgs(nb)
    assert len(figs) == 1 and "loss of each mini-batch" in figs[0] and "accuracy after each epoch" in figs[0]


def test_regression_notebook_fits_the_diabetes_data_and_shows_why_the_activation_matters():
    nb = run("regression.ipynb")
    assert_clean("regression.ipynb")
    out = text(nb)
    assert "442 patients; columns: age, sex, bmi, bp, s1, s2, s3, s4, s5, s6, progression" in out, out
    assert "training [342, 3], test [100, 3]" in out and "after rescaling, training means [-0.000" in out, out
    # Each fit prints epochs 1, 25, 50, 75, 100: the loss falls from about 1 (the mean's error).
    fits = re.findall(r"^epoch   MSE train   MSE test\n((?: +\d+ +\S+ +\S+ .*\n)+)", out, re.M)
    assert len(fits) == 3, out
    for table in fits:
        rows = [line.split() for line in table.strip().splitlines()]
        assert [int(r[0]) for r in rows] == [1, 25, 50, 75, 100], rows
        assert float(rows[-1][1]) < 0.8 * float(rows[0][1]) or float(rows[0][1]) < 0.6, rows
    # SGD ends within a few percent of the exact least-squares optimum.
    best, sgd = map(float, re.search(r"training MSE: least squares (\S+), SGD (\S+) ", out).groups())
    assert 0.4 < best < 0.7 and best <= sgd < 1.05 * best, (best, sgd)
    # Two linear layers equal one linear map; without ReLU no fit gets below least squares.
    assert float(re.search(r"largest difference over the test set (\S+)", out).group(1)) < 1e-5, out
    low = re.search(r"lowest training MSE in 100 epochs: least squares (\S+), two linear layers (\S+), "
                    r"hidden layer with ReLU (\S+)$", out, re.M)
    assert low, out
    best, stack, relu = map(float, low.groups())
    assert stack >= best - 1e-3 and relu < best - 0.01, (best, stack, relu)
    figs = svgs(nb)
    assert len(figs) == 2 and all("mean squared error" in f and "predicted against true" in f for f in figs)


def test_speed_notebook_measures_how_products_and_convolutions_grow():
    nb = run("speed.ipynb")
    assert_clean("speed.ipynb")
    out = text(nb)
    # Every version computes the same numbers as libtorch, up to float32 rounding.
    for diff in re.findall(r"against libtorch, largest relative difference (\S+)", out):
        assert float(diff) < 1e-5, out
    # This machine has no GPU: one line says so and no GPU column appears.
    if "no GPU on this machine: the GPU columns are left out" in out:
        assert "libtorch GPU" not in out
    else:
        assert out.count("libtorch GPU") >= 2, out

    def slopes(title):
        block = out[out.index(title):]
        names = block.splitlines()[1].split("  ")
        row = re.search(r"^ slope +(.*?)   \(fitted", block, re.M).group(1).split()
        return dict(zip([n.strip() for n in names if n.strip() and n.strip() != "N"], map(float, row)))

    product = slopes("matrix product, time of one product:")
    assert 2.6 < product["naive loops"] < 3.6 and 2.2 < product["libtorch CPU"] < 3.4, product
    conv = slopes("3 x 3 convolution, time of one convolution:")
    assert 1.7 < conv["naive loops"] < 2.5 and 1.7 < conv["ndarray"] < 2.5, conv
    # The steps: each hand-written version agrees with libtorch; loop order and SIMD speed it up.
    steps = dict((name.strip(), (float(gflops), float(diff))) for name, gflops, diff in re.findall(
        r"^(\d\. [^\n]+?|   ndarray|   libtorch)\s+\S+ \S+\s+(\S+)\s+\S+\s+(\S+)$", out, re.M))
    assert {"1. naive loops (i, j, k)", "2. loop order (i, k, j)", "3. blocked + registers", "libtorch"} <= set(steps), steps
    assert all(diff < 1e-5 for _, diff in steps.values()), steps
    naive, ikj, blocked = (steps[k][0] for k in ("1. naive loops (i, j, k)", "2. loop order (i, k, j)", "3. blocked + registers"))
    assert ikj > 3 * naive and blocked > ikj, steps
    widest = [v for k, v in steps.items() if k.startswith(("4.", "5.")) and "threads" not in k]
    assert widest or "vector instructions: [Baseline]" in out, steps
    assert all(w[0] > blocked for w in widest), steps
    (fig,) = svgs(nb)
    assert "product: log10(seconds)" in fig and "naive loops (slope" in fig and "libtorch CPU (slope" in fig


def test_training_animation_notebook_draws_live_frames_and_keeps_a_gif():
    nb = run("training_animation.ipynb")
    assert_clean("training_animation.ipynb")
    out = text(nb)
    frames = re.findall(r"^frame +(\d+)  (.+?) +right (\d) of 8, probability of the true digit (\S+)$", out, re.M)
    assert [int(f[0]) for f in frames] == list(range(18)), out
    assert frames[0][1] == "before training" and frames[-1][1].startswith("after epoch 10: test accuracy")
    # Before training every digit gets about 1/10; after ten epochs the network is right and sure.
    first, last = float(frames[0][3]), float(frames[-1][3])
    assert 0.05 < first < 0.2 and last > 0.8 and int(frames[-1][2]) >= 7, frames
    # The training cell ends with the GIF alone: the live picture was emptied, as an export keeps it.
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and "Scores::animation" in c.source]
    shown = [o["data"] for o in cell.outputs if o.get("output_type") == "display_data"]
    assert [d for d in shown if d != {"text/plain": ""}] == [d for d in shown if "text/html" in d], shown
    (gif,) = [d["text/html"] for d in shown if "text/html" in d]
    assert gif.startswith('<img src="data:image/gif;base64,R0lGOD'), gif[:60]
    assert "image/png" not in str(cell.outputs)
