"""scripts/setup on a ready machine: quick, truthful, and robust to what earlier runs and other
clones left behind. (The first setup itself is what runs before these tests.)"""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel

REPO = Path(__file__).resolve().parents[2]
HOME = Path(os.environ["MNIST_LAB_HOME"])
VENV = HOME / "venv"
POOL = HOME / "evcxr-pool"
sys.path.insert(0, str(REPO / "scripts"))
import write_kernelspec  # noqa: E402


def setup(*args, repo=REPO, timeout=900):
    t0 = time.monotonic()
    done = subprocess.run([str(repo / "scripts" / "setup"), *args], capture_output=True, text=True, timeout=timeout)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    return out, time.monotonic() - t0


def test_a_ready_machine_is_checked_in_seconds_and_quiet_says_nothing():
    out, secs = setup()
    assert [line for line in out.splitlines() if line.startswith("==>")][-1].startswith("==> [6/6]"), out
    assert "2 of 2 build folders warm" in out and "first build" not in out, out
    assert secs < 20, secs
    out, _ = setup("--quiet")
    assert out == "", out


def locked_pins(lock):
    """name==version of every lock entry that applies to this Python and platform."""
    from packaging.markers import Marker

    pins = set()
    for line in lock.read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            spec, _, marker = line.rstrip(" \\").partition(";")
            if not marker.strip() or Marker(marker.strip()).evaluate():
                name, version = spec.strip().split("==")
                pins.add(f"{name.replace('_', '-').lower()}=={version}")
    return pins


def test_the_venv_is_exactly_its_lock_and_setup_puts_back_what_drifted():
    # This machine's variant: the CPU-only torch unless an NVIDIA driver is loaded (or chosen).
    variant = os.environ.get("MNIST_LAB_TORCH") or ("full" if Path("/proc/driver/nvidia/version").exists() else "cpu")
    lock = REPO / "scripts" / f"requirements-{variant}.lock"
    uv = [str(VENV / "bin" / "uv"), "pip"]
    python = ["--python", str(VENV / "bin" / "python")]

    # (pip is the venv's own, from `python -m venv`; so is setuptools unless the lock pins it, as
    # it does for nbgrader.)
    own = ("pip==",) if any(p.startswith("setuptools==") for p in locked_pins(lock)) else ("pip==", "setuptools==")

    def installed():
        freeze = subprocess.run([*uv, "freeze", *python], capture_output=True, text=True, check=True).stdout
        return {line.replace("_", "-").lower() for line in freeze.split() if not line.startswith(own)}

    assert installed() == locked_pins(lock), installed() ^ locked_pins(lock)
    # A package removed by hand (or by an older setup) comes back, in seconds.
    subprocess.run([*uv, "uninstall", *python, "iniconfig"], capture_output=True, check=True)
    assert "iniconfig==2.3.1" not in installed()
    out, secs = setup(timeout=600)
    assert f"installing scripts/requirements-{variant}.lock with uv" in out and "ready" in out, out
    assert secs < 60, (secs, out)
    assert installed() == locked_pins(lock)
    out, _ = setup()
    assert f"up to date ({variant} torch)" in out, out
    if variant == "cpu":
        # tch's libraries are all there; Python's torch is not usable, on purpose.
        site = next((VENV / "lib").glob("python3*/site-packages"))
        assert {"libtorch_cpu.so", "libc10.so"} <= {p.name for p in (site / "torch" / "lib").iterdir()}
        assert not (site / "triton").exists() and not (site / "nvidia" / "cudnn").exists()


def test_the_kernelspec_survives_any_characters_in_its_paths(tmp_path):
    odd = str(tmp_path / 'a "quoted" \\ back\\slash and $dollar')
    out = tmp_path / "kernel.json"
    subprocess.run([sys.executable, str(REPO / "scripts" / "write_kernelspec.py"), str(out), odd, odd + "/lib",
                    odd + "/torch", odd + "/venv", "/usr/bin", odd + "/pool", "2", "user"], check=True)
    spec = json.loads(out.read_text())
    assert spec["argv"] == [odd + "/kernel-launch", "{connection_file}"]
    assert spec["env"]["EVCXR_POOL"] == odd + "/pool" and spec["env"]["MNIST_LAB_POOL_SIZE"] == "2"
    assert spec["env"]["PATH"].startswith(odd + "/venv/bin:")
    assert spec["env"]["LIBTORCH"] == odd + "/torch"
    assert spec == json.loads(json.dumps(write_kernelspec.spec(odd, odd + "/lib", odd + "/torch", odd + "/venv", "/usr/bin", odd + "/pool", "2", "user")))
    assert "MNIST_LAB_SYSTEM" not in spec["env"]


def test_setup_stops_what_an_interrupted_setup_left_holding_the_template():
    # A stand-in for an orphaned warm-up kernel: a process in a session of its own holding the
    # template's lock (flock and its child both hold it).
    lock = POOL / "template.lock"
    orphan = subprocess.Popen(["flock", str(lock), "sleep", "600"], start_new_session=True)
    try:
        for _ in range(50):
            if subprocess.run(["flock", "-n", str(lock), "true"]).returncode != 0:
                break
            time.sleep(0.1)
        out, secs = setup()
        assert "stopping what an interrupted setup left running" in out, out
        assert orphan.wait(timeout=10) is not None
        assert secs < 60, secs
    finally:
        if orphan.poll() is None:
            os.killpg(orphan.pid, signal.SIGKILL)


def test_a_fresh_clone_reuses_the_warm_build(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    out, secs = setup(repo=clone)
    assert "first build takes" not in out and not re.search(r"build folder \d+ ready", out), out
    assert "2 of 2 build folders warm" in out, out
    assert secs < 20, secs
    # Its first cell compiles only the crate itself (tch, plotters stay compiled).
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "kernel_run.py"), "--timeout", "300",
         f':dep mnist_lab = {{ path = "{clone}/crate" }}', 'println!("{}", mnist_lab::Device::cuda_if_available());'],
        capture_output=True, text=True, timeout=400)
    first_cell = time.monotonic() - t0
    print(f"a fresh clone's first cell on a warm machine: {first_cell:.0f} s\n{done.stdout[-1500:]}")
    assert done.returncode == 0, done.stdout + done.stderr
    # Rebuilding the template (tch, plotters, ...) takes about 4 minutes on 2 cores.
    assert first_cell < 120, first_cell


def test_the_pool_stays_bounded():
    """Three kernels at once with a pool of two: the third gets a copy of the template, which
    the next kernel start removes once it is free."""
    kernels = [start_new_kernel(kernel_name="rust-tch", startup_timeout=180) for _ in range(3)]
    try:
        assert (POOL / "2" / ".warm").exists(), sorted(p.name for p in POOL.iterdir())
    finally:
        for km, kc in kernels:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    # The killed kernels' worker processes exit on their own a moment later.
    for _ in range(300):
        if subprocess.run(["flock", "-n", str(POOL / "2.lock"), "true"]).returncode == 0:
            break
        time.sleep(0.1)
    km, kc = start_new_kernel(kernel_name="rust-tch", startup_timeout=180)
    try:
        assert not (POOL / "2").exists(), sorted(p.name for p in POOL.iterdir())
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
