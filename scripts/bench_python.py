"""The Python/PyTorch baseline of scripts/bench, written the way the course's notebook trains.

A `Dataset` whose `__getitem__` builds one sample's tensors, a `DataLoader` (batch 100, no
shuffling), Adam (lr 1e-3), cross-entropy summed over each batch, and per-epoch `train` /
`evaluate` functions that read `loss.item()` after every batch.

Usage: bench_python.py DATA NEURONS DEVICE THREADS  (e.g. `mnist 784,1000,1000,10 cpu 2`).
It speaks the same protocol as the Rust worker (crate/examples/bench_worker.rs): `ready`, then
`epoch TRAIN_S EVAL_S LOSS_L LOSS_T RATE_L RATE_T` per `epoch` request, `peak RSS GPU` on `quit`.
"""
import gzip
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

DATA = Path(__file__).resolve().parent.parent / "data"


def load(name):
    """(images uint8 [n, 784], labels int64 [n]) for the learning and the test set."""
    if name == "minimnist":
        z = np.load(DATA / "minimnist.npz")
        return (z["datL"], z["labL"]), (z["datT"], z["labT"])

    def idx(file, offset):
        with gzip.open(DATA / "mnist" / file) as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)

    def split(prefix):
        return idx(f"{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 784), idx(f"{prefix}-labels-idx1-ubyte.gz", 8).astype(np.int64)

    return split("train"), split("t10k")


class DigitsDataset(Dataset):
    """One image (pixels / 255, float32) and its label per index."""

    def __init__(self, images, labels):
        self.X = images.astype(float) / 255
        self.Y = labels

    def __len__(self):
        return len(self.Y)

    def __getitem__(self, i):
        return torch.tensor(self.X[i], dtype=torch.float32), torch.tensor(self.Y[i], dtype=torch.int64)


class MLP(nn.Module):
    """Linear layers sized by `neurons`, ReLU between them, none after the last."""

    def __init__(self, neurons):
        super().__init__()
        layers = []
        for i in range(len(neurons) - 1):
            if i > 0:
                layers.append(nn.ReLU())
            layers.append(nn.Linear(neurons[i], neurons[i + 1]))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


def train(model, loss_func, optimizer, dl, device):
    loss_sum, ncorrect, n = 0.0, 0, 0
    for x, lab in dl:
        x, lab = x.to(device), lab.to(device)
        y = model(x)
        loss = loss_func(y, lab)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        n += len(x)
        loss_sum += loss.item()
        ncorrect += (y.argmax(dim=1) == lab).sum().item()
    return loss_sum / n, ncorrect / n


@torch.no_grad()
def evaluate(model, loss_func, dl, device):
    loss_sum, ncorrect, n = 0.0, 0, 0
    for x, lab in dl:
        x, lab = x.to(device), lab.to(device)
        y = model(x)
        n += len(x)
        loss_sum += loss_func(y, lab).item()
        ncorrect += (y.argmax(dim=1) == lab).sum().item()
    return loss_sum / n, ncorrect / n


def peak_rss_bytes():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def gpu_bytes_in_use(device):
    """Device memory in use (total - free, as the Rust worker measures it), 0 on the CPU."""
    if device.type != "cuda":
        return 0
    free, total = torch.cuda.mem_get_info(device)
    return total - free


def matmul_peak_gflops(device):
    """GFLOP/s of the best of several float32 N x N matrix products (as the Rust worker)."""
    n, reps = (2048, 8) if device.type == "cpu" else (4096, 10)
    a, b = torch.rand(n, n, device=device), torch.rand(n, n, device=device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    best = float("inf")
    for _ in range(reps):
        sync()
        t = time.perf_counter()
        a @ b
        sync()
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def main():
    data, neurons, device, threads = sys.argv[1:]
    torch.set_num_threads(int(threads))
    device = torch.device("cuda:0" if device == "cuda" else "cpu")
    (xl, yl), (xt, yt) = load(data)
    dl_l = DataLoader(DigitsDataset(xl, yl), batch_size=100, shuffle=False)
    dl_t = DataLoader(DigitsDataset(xt, yt), batch_size=100, shuffle=False)
    torch.manual_seed(0)
    model = MLP([int(n) for n in neurons.split(",")]).to(device)
    loss_func = nn.CrossEntropyLoss(reduction="sum")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    gpu_peak = gpu_bytes_in_use(device)
    print("ready", flush=True)
    for request in sys.stdin:
        request = request.strip()
        if request == "epoch":
            sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
            t0 = time.perf_counter()
            loss_l, rate_l = train(model, loss_func, optimizer, dl_l, device)
            sync()
            t1 = time.perf_counter()
            loss_t, rate_t = evaluate(model, loss_func, dl_t, device)
            sync()
            t2 = time.perf_counter()
            gpu_peak = max(gpu_peak, gpu_bytes_in_use(device))
            print(f"epoch {t1 - t0} {t2 - t1} {loss_l} {loss_t} {rate_l} {rate_t}", flush=True)
        elif request == "matmul":
            print(f"matmul {matmul_peak_gflops(device)}", flush=True)
        elif request == "quit":
            print(f"peak {peak_rss_bytes()} {gpu_peak}", flush=True)
            break


if __name__ == "__main__":
    main()
