"""The kernel the way JupyterLab drives it (jupyter_client): output arrives while a cell runs,
a STOP file ends training and keeps the variables, an interrupt stops a cell quickly and says
what it did, and what our patch of evcxr_jupyter changes (no `()` result, its version)."""
import re
import time
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
STOP = NOTEBOOKS / "STOP"

SETUP = """:dep mnist_lab = { path = "../crate" }
use mnist_lab::*;
let device = Device::cuda_if_available();
let (ds_l, ds_t) = minimnist(device)?;
let dl_l = DataLoader::new(&ds_l, 100, false)?;
let dl_t = DataLoader::new(&ds_t, 100, false)?;
let loss_func = CrossEntropyLoss::new(Reduction::Sum);
println!("ready on {device}");"""

# The notebooks' loop, on the two-hidden-layer network (about half a second per epoch on a CPU).
LOOP = """let neurons = [784, 1000, 1000, 10];
let net = Mlp::new(&neurons, device)?;
let mut optimizer = Adam::new(&net, 1e-3)?;
let nepoch = NEPOCH;
let mut history = History::new();
for t in 1..=nepoch {
    let (loss_l, rate_l) = train(&net, &loss_func, &mut optimizer, &dl_l)?;
    let (loss_t, rate_t) = evaluate(&net, &loss_func, &dl_t)?;
    println!("{}", history.push(t, loss_l, loss_t, rate_l, rate_t));
    if stop_requested() {
        println!("stopped after epoch {t}: found the file {STOP_FILE}");
        break;
    }
}
println!("epochs done: {}", history.len());"""


@pytest.fixture(scope="module")
def kernel():
    STOP.unlink(missing_ok=True)
    km, kc = start_new_kernel(kernel_name="rust-tch", cwd=str(NOTEBOOKS), startup_timeout=120)
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        STOP.unlink(missing_ok=True)


def execute(kc, code, on_line=None, timeout=600, others=None):
    """Run `code`; return ([(seconds since the request, text line)], seconds to the reply).
    Other outputs (errors, results) are appended to `others` as (msg_type, content)."""
    t0 = time.monotonic()
    msg_id = kc.execute(code)
    lines, buf = [], ""
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] in ("error", "execute_result", "display_data") and others is not None:
            others.append((msg["msg_type"], msg["content"]))
        if msg["msg_type"] == "stream":
            buf += msg["content"]["text"]
            *done, buf = buf.split("\n")
            for line in done:
                lines.append((time.monotonic() - t0, line))
                if on_line:
                    on_line(line)
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    kc.get_shell_msg(timeout=timeout)
    return lines, time.monotonic() - t0


def rows(lines):
    return [line for _, line in lines if re.match(r"^\d+   \d", line)]


def test_epoch_lines_arrive_while_the_cell_runs(kernel):
    _, kc = kernel
    lines, _ = execute(kc, SETUP)
    assert any("ready on" in line for _, line in lines), lines
    lines, total = execute(kc, LOOP.replace("NEPOCH", "8"))
    epochs = [(t, line) for t, line in lines if re.match(r"^\d+   \d", line)]
    assert len(epochs) == 8, lines
    # Each row reaches the client when its epoch ends, long before the cell does.
    first, last = epochs[0][0], epochs[-1][0]
    assert last - first > 0.5 * (total - first), (epochs, total)
    assert total - first > 1.0, (first, total)


def test_a_stop_file_ends_training_and_keeps_the_variables(kernel):
    _, kc = kernel

    def on_line(line):
        if line.startswith("2   "):
            STOP.touch()

    lines, _ = execute(kc, LOOP.replace("NEPOCH", "1000"), on_line=on_line)
    done = int(re.search(r"epochs done: (\d+)", "\n".join(l for _, l in lines)).group(1))
    assert 2 <= done <= 4, lines
    assert any(l.startswith(f"stopped after epoch {done}: found the file STOP") for _, l in lines)
    assert not STOP.exists()
    after, _ = execute(kc, 'println!("kept: {} epochs, {} parameters", history.len(), net.num_parameters());')
    assert ("kept: %d epochs, 1796010 parameters" % done) in [l for _, l in after], after


def test_an_interrupt_stops_the_cell_within_seconds(kernel):
    km, kc = kernel
    t0 = {}

    def on_line(line):
        if line.startswith("1   ") and not t0:
            t0["t"] = time.monotonic()
            km.interrupt_kernel()

    others = []
    lines, _ = execute(kc, LOOP.replace("NEPOCH", "1000"), on_line=on_line, timeout=120, others=others)
    assert t0, lines
    assert time.monotonic() - t0["t"] < 10, "the interrupted cell did not end within 10 s"
    assert len(rows(lines)) < 20, lines
    # One sentence says what happened and what to do, not a signal number.
    (error,) = [c for kind, c in others if kind == "error"]
    assert error["ename"] == "Interrupted", error
    assert "every variable of this notebook is gone" in error["evalue"] and "Run the cells again" in error["evalue"]
    assert "SIGKILL" not in error["evalue"] and "signal" not in error["evalue"], error
    # evcxr restarts its worker process on an interrupt: the variables are gone (as the README says),
    # but the kernel answers and works again.
    again, _ = execute(kc, 'println!("{}", 6 * 7);')
    assert "42" in [l for _, l in again], again


def test_a_cell_ending_in_a_loop_shows_no_unit_result(kernel):
    _, kc = kernel
    others = []
    lines, _ = execute(kc, 'for i in 0..2 {\n    println!("line {i}");\n}', others=others)
    assert [line for _, line in lines] == ["line 0", "line 1"], lines
    assert others == [], others
    # A cell's real last value still shows.
    others = []
    execute(kc, "6 * 7", others=others)
    assert [c["data"]["text/plain"] for kind, c in others if kind == "execute_result"] == ["42"], others


def test_the_kernel_says_it_is_patched(kernel):
    _, kc = kernel
    msg_id = kc.kernel_info()
    while True:
        msg = kc.get_shell_msg(timeout=30)
        if msg["parent_header"].get("msg_id") == msg_id:
            break
    reply = msg["content"]
    assert reply["implementation_version"] == "0.22.0+mnist-lab", reply
    assert "patched by mnist-lab" in reply["banner"], reply
