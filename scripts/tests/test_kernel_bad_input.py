"""Bad input typed into a cell, through the real kernel (jupyter_client), one case per kind of
mistake a student makes: each cell fails with one clear message (an error output and an error
reply, no "panicked at", no C++ frame), and the next cell still sees the notebook's earlier
variables. Cases that must simply work (sizes that once overflowed) are checked the same way,
with no error. One kernel runs every case, after Experiment 1's first cells."""
import re
import zipfile

import pytest
from jupyter_client.manager import start_new_kernel

from test_kernel_live import SETUP as FIRST_CELLS
from test_kernel_protocol import NOTEBOOKS, errors, execute, streams

# Experiment 1's first cells (as test_kernel_live runs them), then a network trained one epoch.
SETUP = FIRST_CELLS + """
use mnist_lab::tch::Tensor;
let net = Mlp::new(&[784, 100, 10], device)?;
let nepoch = 1;
let mut optimizer = Adam::new(&net, 1e-3)?;
let mut history = History::new();
history.push(1, train(&net, &loss_func, &mut optimizer, &dl_l)?, evaluate(&net, &loss_func, &dl_t)?);"""

# What the cell after each case prints: the variables of SETUP, with their values.
STILL_HERE = 'println!("still here: {} {} {} {}", ds_l.len(), net.num_parameters(), nepoch, history.len());'
STILL_HERE_TEXT = "still here: 5000 79510 1 1\n"

FIGURE = ('Figure::new(vec![Panel { title: "t".into(), x_label: "epoch".into(), y_label: "loss".into(), '
          'ylim: (0.0, 1.0), hline: None, series: vec![Series::line("a", vec![(0.0, 0.5), (X, 0.5)])] }])?')

# (id, the cell, the error's name, words its message must hold)
FAILING = [
    # A cell that defines the notebook's variables again and fails half-way keeps the old ones.
    ("rerun-fails-half-way",
     "let nepoch = 2;\nlet mut history = History::new();\nlet net = Mlp::new(&[784, 100], device)?;\n"
     "let mut optimizer = Adam::new(&net, 1e-3)?;\nlet learn = train(&net, &loss_func, &mut optimizer, &dl_l)?;",
     "Error", "neurons = [784, 100] ends with 100, but there are 10 classes"),
    ("infinite-limit", 'learning_curves(&history, "x", (0.0, f64::INFINITY), (0.8, 1.0))?.show();',
     "Error", "is (0.0, inf); give two finite numbers"),
    ("damaged-npz", 'let bad = minimnist_from("ABSURD", device)?;',
     "Error", "array datL: its header claims shape [5000000000000, 784] of 1-byte numbers"),
    ("tch-question-mark", "let v = ds_l.images().get(0).f_view([28, 27])?;",
     "Error", "libtorch: shape '[28, 27]' is invalid for input of size 784"),
    ("tch-panic", "let v = ds_l.images().get(0).view([28, 27]);",
     "Panic", "libtorch: shape '[28, 27]' is invalid for input of size 784"),
    ("tch-matmul", "let y = ds_l.images().get(0).f_matmul(&ds_l.images().get(1))?.f_view([2])?;",
     "Error", "libtorch: shape '[2]' is invalid for input of size 1"),
    ("grid-too-wide",
     'let grid = ImageGrid { title: "t".into(), images: vec![vec![0.5; 784]], captions: vec!["a".into()], '
     "cols: usize::MAX, limit: None };\ngrid.to_png()?;",
     "Error", "a drawing of 4294967295 × 246 pixels cannot be made"),
    ("figure-too-wide", f"let mut fig = {FIGURE.replace('X', '2.0')};\nfig.width = 1_000_000;\nfig.to_svg()?;",
     "Error", "a drawing of 1000000 × 340 pixels cannot be made"),
    ("cnn-too-large", "let cnn = Cnn::new([4, i64::MAX / 100], 128, device)?;",
     "Error", "is far too large"),
    ("matmul-overflow", "let c = matmul::blocked(&[1.0; 4], &[1.0; 4], 1 << 40, matmul::Simd::Baseline)?;",
     "Error", "needs 1099511627776² numbers in each"),
    ("gradient-of-integers",
     "let w = Tensor::from_slice(&[1i64, -2, 3]);\n"
     "let g = gradcheck::numerical_gradient(|| Ok(0.0), &[&w], 1e-6)?;",
     "Error", "parameter 0 holds Int64 numbers, which cannot move by eps"),
    ("gradient-of-an-expansion",
     "let w = Tensor::from_slice(&[1.0f64]).expand([1 << 40], false);\n"
     "let g = gradcheck::numerical_gradient(|| Ok(0.0), &[&w], 1e-6)?;",
     "Error", "is a view that does not store each of its elements"),
    ("bad-step", "let g = gradcheck::numerical_gradient(|| Ok(0.0), &[&net.linears()[0].1], f64::NAN)?;",
     "Error", "the step eps must be a small positive number"),
]

# (id, the cell, words it must print): sizes that once overflowed, which must simply work.
WORKING = [
    ("whole-number-x-up-to-1e20", f"{FIGURE.replace('X', '1e20')}.show();\nprintln!(\"drawn\");", "drawn"),
    ("summary-of-a-huge-batch", 'println!("{}", summary(&net, i64::MAX));', "Input size (MB): 27584547717644288.00"),
    ("longest-gif-delay",
     'let grid = ImageGrid { title: "t".into(), images: vec![vec![0.5; 784]], captions: vec!["a".into()], '
     'cols: 1, limit: None };\nlet gif = Animation::new(&[grid], u32::MAX)?;\nprintln!("gif of {} bytes", gif.gif.len());',
     "gif of "),
]


@pytest.fixture(scope="module")
def kc(tmp_path_factory):
    km, kc = start_new_kernel(kernel_name="rust-tch", cwd=str(NOTEBOOKS), startup_timeout=120)
    try:
        messages, reply = execute(kc, SETUP)
        assert reply["status"] == "ok", (reply, errors(messages))
        kc.device = re.search(r"ready on (\S+)", streams(messages)).group(1)
        kc.absurd = str(_absurd_npz(tmp_path_factory.mktemp("npz")))
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _absurd_npz(folder):
    """An npz archive whose datL claims 5e12 images of 784 bytes and holds one."""
    header = b"{'descr': '|u1', 'fortran_order': False, 'shape': (5000000000000, 784), }\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(784)
    path = folder / "absurd.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("datL.npy", npy)
    return path


def assert_clean(messages, reply):
    text = streams(messages) + "".join("\n".join(e["traceback"]) + e["evalue"] for e in errors(messages))
    for leak in ("panicked at", "frame #", "Exception raised from", "RUST_BACKTRACE", "EVCXR_"):
        assert leak not in text, (leak, text)


def assert_still_here(kc):
    messages, reply = execute(kc, STILL_HERE)
    assert reply["status"] == "ok" and streams(messages) == STILL_HERE_TEXT, (reply, messages)


@pytest.mark.parametrize("code, ename, words", [c[1:] for c in FAILING], ids=[c[0] for c in FAILING])
def test_bad_input_fails_its_cell_with_one_message_and_keeps_the_variables(kc, code, ename, words):
    messages, reply = execute(kc, code.replace("ABSURD", kc.absurd))
    (error,) = errors(messages)
    assert reply["status"] == "error" and error["ename"] == ename == reply["ename"], (reply, error)
    assert words in error["evalue"], error["evalue"]
    # One message: said once, in the error output only, in at most three lines.
    assert "".join(error["traceback"]).count(words) == 1 and words not in streams(messages), messages
    assert len(error["traceback"]) <= 3, error["traceback"]
    assert_clean(messages, reply)
    assert_still_here(kc)


def test_a_libtorch_error_says_what_to_check(kc):
    messages, _ = execute(kc, "let v = ds_l.images().get(0).f_view([28, 27])?;")
    (error,) = errors(messages)
    assert "Check the shapes, kinds and devices of the tensors" in error["evalue"], error
    messages, _ = execute(kc, "let v = ds_l.images().get(0).view([28, 27]);")
    (error,) = errors(messages)
    assert "its f_ version (e.g. f_view for view) with ? returns the error instead" in error["evalue"], error


def test_no_gpu_is_named_as_such(kc):
    if kc.device != "cpu":
        pytest.skip("this machine has a GPU")
    messages, reply = execute(kc, "let gpu = Mlp::new(&[784, 10], Device::Cuda(0))?;")
    (error,) = errors(messages)
    assert error["evalue"].startswith("there is no usable GPU (CUDA) here"), error
    assert "Device::cuda_if_available()" in error["evalue"] and len(error["evalue"]) < 300, error
    assert_clean(messages, reply)
    assert_still_here(kc)


@pytest.mark.parametrize("code, words", [c[1:] for c in WORKING], ids=[c[0] for c in WORKING])
def test_sizes_that_once_overflowed_now_work(kc, code, words):
    messages, reply = execute(kc, code)
    assert reply["status"] == "ok" and errors(messages) == [], (reply, errors(messages))
    assert words in streams(messages), streams(messages)
    assert_clean(messages, reply)
    assert_still_here(kc)


def test_a_stop_file_left_in_the_folder_stops_nothing(kc):
    # The STOP file is gone: Kernel -> Interrupt stops training and keeps the variables.
    stop = NOTEBOOKS / "STOP"
    stop.touch()
    try:
        messages, reply = execute(kc, "let run = fit(&net, &mut optimizer, &dl_l, &dl_t, 2)?;\n"
                                      'println!("epochs: {}", run.history().len());')
    finally:
        stop.unlink()
    assert reply["status"] == "ok" and "epochs: 2\n" in streams(messages), (reply, messages)
