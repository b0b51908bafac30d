#!/usr/bin/env python3
"""Execute every notebook in notebooks/ and write it as HTML into the folder given."""
import sys
from pathlib import Path

from nbconvert import HTMLExporter

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nbrun  # noqa: E402


def main():
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    notebooks = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
    failed = False
    for i, path in enumerate(notebooks, 1):
        print(f"[{i}/{len(notebooks)}] {path.name}: executing ...", flush=True)
        nb, secs = nbrun.execute(path, allow_errors=True)
        bad = nbrun.problems(nb)
        for cell, msg in bad:
            print(f"  FAILED: {path.name}, code cell {cell}: {msg}", file=sys.stderr)
        failed = failed or bool(bad)
        html, _ = HTMLExporter().from_notebook_node(nb)
        target = out / (path.stem + ".html")
        target.write_text(html, encoding="utf-8")
        print(f"  {secs:.0f} s -> {target}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
