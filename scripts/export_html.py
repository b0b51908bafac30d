#!/usr/bin/env python3
"""Execute the notebooks of notebooks/ (all, or those named) and write each as HTML.

    export_html.py OUTPUT_DIR [NOTEBOOK.ipynb ...]

Each page is titled with its notebook's first heading and needs nothing from the web (the
mnist_lab template in scripts/nbconvert/). What the kernel process itself prints goes to
OUTPUT_DIR/logs/, not to the terminal. Exits 1, naming the notebook and its first failing cell
with that cell's own message, if any cell failed. It runs the notebooks as the course committed
them (a student works in a copy, see scripts/lab), and says loudly when some were edited since.
"""
import subprocess
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS))
import nbrun  # noqa: E402


def title(nb, fallback):
    """The text of the notebook's first Markdown heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def to_html(nb, fallback_title):
    """The executed notebook `nb` as one self-contained HTML page."""
    exporter = HTMLExporter(template_name="mnist_lab", extra_template_basedirs=[str(SCRIPTS / "nbconvert")])
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title(nb, fallback_title)}})
    return html


def edited(notebooks):
    """The names of those of `notebooks` that differ from what git has committed (none when
    the folder is not a git checkout)."""
    if not notebooks:
        return []
    status = subprocess.run(["git", "-C", str(notebooks[0].parent), "status", "--porcelain", "--", *map(str, notebooks)],
                            capture_output=True, text=True)
    return [Path(line[3:]).name for line in status.stdout.splitlines()] if status.returncode == 0 else []


def main():
    out = Path(sys.argv[1]).resolve()
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    folder = SCRIPTS.parent / "notebooks"
    notebooks = [folder / Path(n).name for n in sys.argv[2:]] or sorted(folder.glob("*.ipynb"))
    changed = edited(notebooks)
    if changed:
        print(f"WARNING: these notebooks differ from what the course committed, and are exported as "
              f"they are now: {', '.join(changed)}\n  (`git diff notebooks/` shows the changes; "
              f"`git checkout notebooks/NAME.ipynb` restores the course's)", file=sys.stderr, flush=True)
    failed = False
    for i, path in enumerate(notebooks, 1):
        print(f"[{i}/{len(notebooks)}] {path.name}: executing ...", flush=True)
        with open(logs / f"{path.stem}.kernel.log", "w") as log:
            nb, secs = nbrun.execute(path, allow_errors=True, kernel_output=log)
        failure = nbrun.first_failure(nb)
        if failure:
            print(f"  FAILED: {path.name}, {failure}", file=sys.stderr, flush=True)
            failed = True
        target = out / (path.stem + ".html")
        target.write_text(to_html(nb, path.stem), encoding="utf-8")
        print(f"  {secs:.0f} s -> {target}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
