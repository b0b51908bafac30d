#!/usr/bin/env python3
"""Write crate/tests/fixtures/torch_reference.txt: reference values from real PyTorch.

The crate's tests compare against them to prove that, with the same seed on the CPU,
its MLP starts from PyTorch's exact initial weights and its Adam takes PyTorch's exact steps.
Run with the project's venv:  $MNIST_LAB_HOME/venv/bin/python scripts/make_fixtures.py
(it needs the full PyTorch: `MNIST_LAB_TORCH=full scripts/setup` on a machine without an
NVIDIA driver). Each line: a key, then float32 values written exactly (as Python floats).
"""
import sys
from pathlib import Path

try:
    import torch
    import torch.nn as nn
except ImportError as e:
    sys.exit(f"make_fixtures.py needs the full PyTorch ({e}); install it with `MNIST_LAB_TORCH=full scripts/setup`")


def mlp(neurons):
    layers = []
    for i in range(len(neurons) - 2):
        layers += [nn.Linear(neurons[i], neurons[i + 1]), nn.ReLU()]
    layers.append(nn.Linear(neurons[-2], neurons[-1]))
    return nn.Sequential(*layers)


def main():
    out = []

    def put(key, values):
        out.append(key + " " + " ".join(repr(float(v)) for v in values))

    torch.manual_seed(0)
    small = mlp([6, 5, 3])
    for i, p in enumerate(small.parameters()):
        put(f"small.init.{i}", p.detach().flatten().tolist())

    x = (torch.arange(24, dtype=torch.float32) / 24).reshape(4, 6)
    lab = torch.tensor([0, 1, 2, 1])
    opt = torch.optim.Adam(small.parameters(), lr=1e-3)
    loss_func = nn.CrossEntropyLoss(reduction="sum")
    for _ in range(3):
        loss = loss_func(small(x), lab)
        opt.zero_grad()
        loss.backward()
        opt.step()
    for i, p in enumerate(small.parameters()):
        put(f"small.adam3.{i}", p.detach().flatten().tolist())

    torch.manual_seed(0)
    big = mlp([784, 1000, 1000, 10])
    for i, p in enumerate(big.parameters()):
        flat = p.detach().flatten()
        put(f"big.init.{i}.first", flat[:5].tolist())
        put(f"big.init.{i}.last", flat[-5:].tolist())
        put(f"big.init.{i}.sum", [flat.double().sum().item()])

    # The crate's Cnn([2, 3], 5): conv 3x3 (1 -> 2), ReLU, conv 3x3 (2 -> 3), ReLU, flatten,
    # Linear(3*24*24 -> 5), ReLU, Linear(5 -> 10); and its outputs for two fixed images.
    torch.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(),
                        nn.Linear(3 * 24 * 24, 5), nn.ReLU(), nn.Linear(5, 10))
    for i, p in enumerate(cnn.parameters()):
        flat = p.detach().flatten()
        put(f"cnn.init.{i}.first", flat[:5].tolist())
        put(f"cnn.init.{i}.sum", [flat.double().sum().item()])
    images = (torch.arange(2 * 784, dtype=torch.float32) % 255 / 255).reshape(2, 1, 28, 28)
    put("cnn.forward", cnn(images).detach().flatten().tolist())

    path = Path(__file__).resolve().parent.parent / "crate/tests/fixtures/torch_reference.txt"
    path.write_text(f"# made by scripts/make_fixtures.py with torch {torch.__version__}\n" + "\n".join(out) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
