# Sourced by every script in scripts/: where the environment lives and how to reach it.
# Nothing here writes anything; scripts/setup creates what these paths name.

# The cache folder, outside the checkout and shared by every clone on this machine.
MNIST_LAB_HOME=${MNIST_LAB_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/mnist-lab}
export MNIST_LAB_HOME
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$MNIST_LAB_HOME/venv
KERNEL_NAME=rust-tch
KERNEL_DIR=$VENV/share/jupyter/kernels/$KERNEL_NAME
EVCXR_VERSION=0.22.0
EVCXR_BIN=$MNIST_LAB_HOME/cargo/bin/evcxr_jupyter
# Build folders for notebook kernels: one per running kernel, kept warm between kernels.
POOL=$MNIST_LAB_HOME/evcxr-pool
POOL_SIZE=${MNIST_LAB_POOL_SIZE:-2}
READY_STAMP=$MNIST_LAB_HOME/ready

# Jupyter must use the venv's own data folders (kernelspecs), never the user's.
export JUPYTER_DATA_DIR=$VENV/share/jupyter
export JUPYTER_PATH=$VENV/share/jupyter
export PATH=$VENV/bin:$HOME/.cargo/bin:$PATH

# torch's shared libraries, needed by every tch binary at run time (empty before setup).
TORCH_LIB=$(echo "$VENV"/lib/python3*/site-packages/torch/lib)
[ -d "$TORCH_LIB" ] || TORCH_LIB=
export LD_LIBRARY_PATH=$TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# tch builds against the wheel's headers and libraries directly (no `import torch`, which the
# CPU-only venv cannot do).
[ -z "$TORCH_LIB" ] || export LIBTORCH=${TORCH_LIB%/lib}
