"""A failed cell is a failed cell in Jupyter's protocol, as nbclient and nbgrader read it:
whatever failed (a compile error, a panic, an error returned with `?`), the kernel sends an
`error` output and an execute_reply with status "error", ename, evalue and traceback
(scripts/evcxr_jupyter.patch and scripts/evcxr.patch). What the cell's code prints is stdout,
stderr included, so that only a real failure looks like one to a grader."""
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.fixture(scope="module")
def kc():
    km, kc = start_new_kernel(kernel_name="rust-tch", cwd=str(NOTEBOOKS), startup_timeout=120)
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def execute(kc, code, timeout=600):
    """Run `code`; return (iopub messages of the cell, its execute_reply's content)."""
    msg_id = kc.execute(code)
    messages = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        messages.append(msg)
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return messages, reply["content"]


def errors(messages):
    return [m["content"] for m in messages if m["msg_type"] == "error"]


def streams(messages, name=None):
    return "".join(m["content"]["text"] for m in messages
                   if m["msg_type"] == "stream" and (name is None or m["content"]["name"] == name))


def assert_failed(messages, reply, ename, evalue_start):
    """One error output and an error reply that carries it, as nbgrader's executor reads it."""
    (error,) = errors(messages)
    assert error["ename"] == ename and error["evalue"].startswith(evalue_start), error
    assert reply["status"] == "error", reply
    assert reply["ename"] == ename and reply["evalue"] == error["evalue"], reply
    assert reply["traceback"] == error["traceback"] and reply["traceback"], reply
    assert streams(messages, "stderr") == "", streams(messages, "stderr")


def test_setup_and_a_variable(kc):
    messages, reply = execute(kc, ':dep mnist_lab = { path = "../crate" }\nuse mnist_lab::*;\nlet kept = 41 + 1;')
    assert reply["status"] == "ok", (reply, errors(messages))


def test_a_question_mark_error_of_the_crate_fails_the_cell(kc):
    messages, reply = execute(kc, 'let data = minimnist_from("/nonexistent.npz", Device::Cpu)?;')
    assert_failed(messages, reply, "Error", "cannot read data file /nonexistent.npz")
    # The student sees the crate's message after a red "error:", and nothing on stderr.
    assert reply["traceback"][0].startswith("\x1b[1;31merror:\x1b[0m cannot read data file"), reply


def test_a_question_mark_error_of_std_fails_the_cell(kc):
    messages, reply = execute(kc, 'let n: i32 = "twelve".parse()?;\nprintln!("{n}");')
    assert_failed(messages, reply, "Error", "invalid digit found in string")


def test_a_panic_fails_the_cell_and_keeps_the_variables(kc):
    messages, reply = execute(kc, 'println!("checking");\nassert!(kept == 41, "kept is {kept}, expected 41");')
    assert_failed(messages, reply, "Panic", "kept is 42, expected 41")
    assert reply["traceback"][0] == "\x1b[1;31mpanic:\x1b[0m kept is 42, expected 41", reply
    # The panic hook printed nothing about evcxr's generated file.
    assert streams(messages) == "checking\n", streams(messages)
    messages, reply = execute(kc, 'println!("kept = {kept}");')
    assert reply["status"] == "ok" and streams(messages) == "kept = 42\n", (reply, messages)


def test_a_compile_error_reply_carries_ename_evalue_and_traceback(kc):
    messages, reply = execute(kc, "let y = undefined_name + 1;")
    errs = errors(messages)
    assert errs and reply["status"] == "error", (reply, errs)
    assert reply["ename"] == errs[0]["ename"] and "undefined_name" in reply["evalue"], reply
    assert any("undefined_name" in line for line in reply["traceback"]), reply


def test_stderr_is_not_a_failure(kc):
    messages, reply = execute(kc, 'eprintln!("a warning, not a failure");\nprintln!("done");')
    assert reply["status"] == "ok" and errors(messages) == [], (reply, messages)
    assert streams(messages, "stderr") == "", messages
    assert "a warning, not a failure\n" in streams(messages, "stdout") and "done\n" in streams(messages, "stdout")


def test_a_panic_on_another_thread_is_reported_by_the_usual_hook(kc):
    # The cell's own code goes on (it looked at the thread's result), so the cell succeeds; the
    # panic's message is printed by Rust's hook, which the previous panic cell put back.
    code = ('let failed = std::thread::spawn(|| panic!("worker gave up")).join().is_err();\n'
            'println!("worker failed: {failed}");')
    messages, reply = execute(kc, code)
    assert reply["status"] == "ok", (reply, errors(messages))
    text = streams(messages)
    assert "worker gave up" in text and "worker failed: true" in text, text


def ok_text(kc, code):
    """Runs `code`, which must succeed; what it printed."""
    messages, reply = execute(kc, code)
    assert reply["status"] == "ok", (reply, errors(messages))
    return streams(messages)


def test_a_cell_that_fails_at_run_time_keeps_the_earlier_values(kc):
    # Experiment 1's case: the cell that made `net` and `nepoch` runs again with another network
    # and fails half-way, after defining them again (a `?` error, then a panic). Both keep the
    # values of the run before, with their types, as in a Python notebook; a variable that only
    # the failed cell defined is not there.
    ok_text(kc, "let net = Mlp::new(&[784, 100, 10], Device::Cpu)?;\nlet nepoch: usize = 3;\n"
                "let mut history = History::new();")
    messages, reply = execute(kc, 'let net = Mlp::new(&[784, 50, 10], Device::Cpu)?;\nlet nepoch: usize = 7;\n'
                                  'let fresh = 1;\nlet n: i32 = "x".parse()?;\nprintln!("{n} {fresh}");')
    assert_failed(messages, reply, "Error", "invalid digit found in string")
    assert ok_text(kc, 'println!("{} parameters, {nepoch} epochs", net.num_parameters());') == "79510 parameters, 3 epochs\n"
    messages, reply = execute(kc, 'println!("{fresh}");')
    assert reply["status"] == "error" and "fresh" in reply["evalue"], reply
    # A panic, and a new value of another type: the old one comes back, with its type.
    messages, reply = execute(kc, 'let net = "not a network";\nlet nepoch: usize = 9;\n'
                                  'assert!(nepoch < 5, "too many epochs: {nepoch}");')
    assert_failed(messages, reply, "Panic", "too many epochs: 9")
    assert ok_text(kc, 'println!("{} parameters, {nepoch} epochs", net.num_parameters());') == "79510 parameters, 3 epochs\n"
    # A cell that succeeds keeps its new values, as before.
    assert ok_text(kc, "let nepoch: usize = 4;\nhistory.push(1, Metrics { loss: 0.5, accuracy: 0.9 }, "
                       "Metrics { loss: 0.6, accuracy: 0.8 });\nprintln!(\"{nepoch}\");") == "4\n"
    # A cell that moves the old value before it fails cannot give it back: that variable is gone
    # (and the others are not).
    messages, reply = execute(kc, 'let history = { let h = history; h };\nlet n: i32 = "x".parse()?;')
    assert_failed(messages, reply, "Error", "invalid digit found in string")
    assert ok_text(kc, 'println!("{nepoch} epochs");') == "4 epochs\n"
    messages, reply = execute(kc, 'println!("{}", history.len());')
    assert reply["status"] == "error" and "history" in reply["evalue"], reply


def test_nbclient_stops_at_the_failed_cell():
    """nbclient (which nbconvert and nbgrader run) raises at the first failed cell, whatever
    failed, and names it."""
    for failing in ('let n: i32 = "x".parse()?;', 'assert_eq!(1 + 1, 3, "arithmetic");', "let y = nope;"):
        nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "rust-tch", "display_name": "Rust (tch)"}})
        nb.cells = [nbformat.v4.new_code_cell('println!("first");'), nbformat.v4.new_code_cell(failing),
                    nbformat.v4.new_code_cell('println!("never run");')]
        client = NotebookClient(nb, kernel_name="rust-tch", timeout=600, startup_timeout=120)
        with pytest.raises(CellExecutionError) as raised:
            client.execute()
        assert failing.splitlines()[0] in str(raised.value), raised.value
        assert nb.cells[2].outputs == [], failing
