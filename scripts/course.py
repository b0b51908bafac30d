#!/usr/bin/env python3
"""Makes an instructor's nbgrader course folder from the course's assignments.

    course.py DIR [CRATE]

DIR gets nbgrader_config.py (nbgrader's settings for the Rust kernel; one that the instructor
changed is kept), templates/ (the feedback page without MathJax from the web) and source/NAME/
for each assignment that DIR does not have yet. They come from the assignments/ folder beside
CRATE (default this repository's crate/; on a course server, the shared install's
course/crate). In the notebooks, the line that loads the crate (`:dep mnist_lab = { path =
"..." }`, relative to the repository) is given CRATE's absolute path, so that every copy
nbgrader makes of them (released, fetched, submitted, autograded) loads the same crate from
any folder.
"""
import re
import shutil
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
DEP = re.compile(r'^:dep mnist_lab = \{ path = "[^"]*" \}$', re.M)


def with_crate(nb, crate):
    """`nb` with every `:dep mnist_lab` line pointing at `crate`; the number of lines changed."""
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source, n = DEP.subn(f':dep mnist_lab = {{ path = "{crate}" }}', cell.source)
            count += n
    return count


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    course = Path(sys.argv[1]).resolve()
    crate = Path(sys.argv[2] if len(sys.argv) == 3 else REPO / "crate").resolve()
    if not (crate / "Cargo.toml").is_file():
        sys.exit(f"course: {crate} is not the mnist_lab crate (no Cargo.toml there)")
    assignments = crate.parent / "assignments"
    if not (assignments / "nbgrader_config.py").is_file():
        sys.exit(f"course: there are no assignments beside the crate (no {assignments / 'nbgrader_config.py'})")
    (course / "source").mkdir(parents=True, exist_ok=True)
    config, ours = course / "nbgrader_config.py", assignments / "nbgrader_config.py"
    if config.exists() and config.read_bytes() != ours.read_bytes():
        print(f"course folder {course}: its nbgrader_config.py differs from {ours}, left as it is")
    else:
        shutil.copyfile(ours, config)
        print(f"course folder {course} (nbgrader_config.py written)")
    shutil.copytree(assignments / "templates", course / "templates", dirs_exist_ok=True)
    for folder in sorted(p for p in (assignments / "source").iterdir() if p.is_dir()):
        target = course / "source" / folder.name
        if target.exists():
            print(f"  {folder.name}: already there, left as it is")
            continue
        shutil.copytree(folder, target)
        for path in sorted(target.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            if with_crate(nb, crate) == 0:
                sys.exit(f"course: {path.name} has no ':dep mnist_lab = {{ path = ... }}' line to point at {crate}")
            nbformat.write(nb, path)
        print(f"  {folder.name}: source version copied, loading {crate}")
    print(f"next, in {course}: nbgrader generate_assignment NAME, then release it (see the README)")


if __name__ == "__main__":
    main()
