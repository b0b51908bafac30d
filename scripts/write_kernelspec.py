#!/usr/bin/env python3
"""Writes the "Rust (tch)" kernelspec (kernel.json) for scripts/setup.

    write_kernelspec.py KERNEL_JSON MNIST_LAB_HOME LD_LIBRARY_PATH LIBTORCH VENV CARGO_DIR POOL POOL_SIZE MODE

MODE is "user" (the install of one user) or "system" (scripts/setup --system: every user's
kernel builds in a folder of its own user's cache, made from the shared template, with the
shared toolchain and crates; nothing of the admin's own environment is passed on).

Every path arrives as an argument and is written by json, so any character a path may hold
(quotes, backslashes, spaces) survives.
"""
import json
import os
import sys


def spec(home, ld_path, libtorch, venv, cargo_dir, pool, pool_size, mode):
    """The kernelspec: kernel-launch with the environment the kernel needs."""
    env = {
        "MNIST_LAB_HOME": home,
        "LD_LIBRARY_PATH": ld_path,
        "LIBTORCH": libtorch,
        "VIRTUAL_ENV": venv,
        "PATH": os.pathsep.join(
            [os.path.join(venv, "bin"), cargo_dir, "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        ),
        "EVCXR_CONFIG_DIR": os.path.join(home, "evcxr-config"),
        "EVCXR_POOL": pool,
        "MNIST_LAB_POOL_SIZE": pool_size,
        # Our patch of evcxr_jupyter turns EVCXR_JUPYTER_MESSAGE lines into Jupyter messages
        # at once; the crate shows figures that way only when this says so (mnist_lab::display).
        "EVCXR_JUPYTER_MESSAGES": "1",
    }
    if mode == "system":
        env["MNIST_LAB_SYSTEM"] = "1"
    else:
        for var in ("RUSTUP_HOME", "CARGO_HOME", "RUSTUP_TOOLCHAIN"):
            if os.environ.get(var):
                env[var] = os.environ[var]
    return {
        "argv": [os.path.join(home, "kernel-launch"), "{connection_file}"],
        "display_name": "Rust (tch)",
        "language": "rust",
        "interrupt_mode": "message",
        "env": env,
    }


def main():
    out, *values = sys.argv[1:]
    if len(values) != 8 or values[-1] not in ("user", "system"):
        sys.exit(__doc__)
    with open(out, "w") as f:
        json.dump(spec(*values), f, indent=1)


if __name__ == "__main__":
    main()
