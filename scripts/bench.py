"""Driver of scripts/bench: times the Rust crate and the Python baseline epoch by epoch, interleaved.

Both implementations run as worker processes that train one epoch (train + evaluate) per
request; the driver asks them in turn, alternating who goes first, so that both see the same
machine state. Both use the same number of threads. See scripts/bench for the options.
"""
import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
SIZES = {"minimnist": (5000, 1000), "mnist": (60000, 10000)}


def flops(neurons, n_train, n_test):
    """Multiply-add FLOPs of one epoch: training (forward, weight and input gradients; the first
    layer needs no input gradient) and evaluation (forward)."""
    layers = [a * b for a, b in zip(neurons, neurons[1:])]
    train = n_train * (2 * sum(layers) + 2 * sum(layers) + 2 * sum(layers[1:]))
    return train, n_test * 2 * sum(layers)


class Worker:
    def __init__(self, name, cmd, env):
        self.name = name
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.epochs = []
        self.expect("ready")

    def expect(self, word):
        line = self.proc.stdout.readline()
        if not line.startswith(word):
            self.proc.kill()
            sys.exit(f"bench: the {self.name} worker said {line!r} instead of {word!r} (its errors are above)")
        return [float(v) for v in line.split()[1:]]

    def ask(self, request, answer):
        self.proc.stdin.write(request + "\n")
        self.proc.stdin.flush()
        return self.expect(answer)


def full_torch():
    """True when this Python can `import torch` (the full variant of the venv)."""
    return subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0


def main():
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    p.add_argument("--data", choices=SIZES, default="mnist")
    p.add_argument("--neurons", default="784,1000,1000,10")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--impl", choices=["rust", "python", "both"], default="both")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--rust-worker", required=True, help="path of the built bench_worker example")
    a = p.parse_args()
    if a.epochs < 1 or a.threads < 1:
        sys.exit("bench: --epochs and --threads must be at least 1")
    impls = ["rust", "python"] if a.impl == "both" else [a.impl]
    if "python" in impls and not full_torch():
        sys.exit("bench: the Python baseline needs the full PyTorch (`import torch`), but this machine's venv "
                 "has the CPU-only torch that the notebooks use (tch needs only its libraries). Either run "
                 "`scripts/bench --impl rust ...`, or install the full one first: "
                 "`MNIST_LAB_TORCH=full scripts/setup` (about 3 GiB more).")
    neurons = [int(n) for n in a.neurons.split(",")]
    n_train, n_test = SIZES[a.data]
    train_flop, eval_flop = flops(neurons, n_train, n_test)

    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), MKL_NUM_THREADS=str(a.threads))
    args = [a.data, a.neurons, a.device, str(a.threads)]
    cmds = {"rust": [a.rust_worker, *args], "python": [sys.executable, str(SCRIPTS / "bench_python.py"), *args]}
    workers = [Worker(name, cmds[name], env) for name in impls]

    print(f"# {a.data} ({n_train}/{n_test}), neurons [{a.neurons}], {a.epochs} epochs, {a.device}, {a.threads} threads")
    print("# epoch  impl    train_s  eval_s   lossL    lossT    rateL   rateT")
    for epoch in range(1, a.epochs + 1):
        order = workers if epoch % 2 else workers[::-1]
        for w in order:
            tr, ev, loss_l, loss_t, rate_l, rate_t = w.ask("epoch", "epoch")
            w.epochs.append((tr, ev))
            print(f"{epoch:5d}  {w.name:6s}  {tr:7.3f}  {ev:6.3f}   {loss_l:.5f}  {loss_t:.5f}  {rate_l:.4f}  {rate_t:.4f}", flush=True)
    # The machine's practical peak, on the first worker's libtorch and threads.
    (peak,) = workers[0].ask("matmul", "matmul")
    for w in workers:
        w.rss, w.gpu = w.ask("quit", "peak")
        w.proc.wait()

    print(f"\n# float32 matmul peak through torch on {a.device}, {a.threads} threads: {peak:.0f} GFLOP/s")
    print("impl     median_s   min_s    max_s   train_s  samples/s  train_GFLOP/s (% of peak)  epoch_GFLOP/s  peak_RSS_MB  peak_GPU_MB")
    medians = {}
    for w in workers:
        total = [tr + ev for tr, ev in w.epochs]
        med, med_train = statistics.median(total), statistics.median(tr for tr, _ in w.epochs)
        medians[w.name] = med
        train_gf = train_flop / med_train / 1e9
        print(
            f"{w.name:7s}  {med:8.3f}  {min(total):7.3f}  {max(total):7.3f}  {med_train:7.3f}  {(n_train + n_test) / med:9.0f}"
            f"  {train_gf:13.1f} ({100 * train_gf / peak:3.0f}%)  {(train_flop + eval_flop) / med / 1e9:13.1f}"
            f"  {w.rss / 2**20:11.0f}  {w.gpu / 2**20:11.0f}"
        )
    if len(medians) == 2:
        print(f"ratio rust/python: {medians['rust'] / medians['python']:.3f}")
    for name, med in medians.items():
        print(f"median_epoch_s impl={name} {med:.3f}")


if __name__ == "__main__":
    main()
