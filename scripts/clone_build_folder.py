#!/usr/bin/env python3
"""Makes a user's build folder from the shared install's warm template (scripts/kernel-launch,
shared installs only).

    clone_build_folder.py TEMPLATE DEST

The compiled dependencies (tch, plotters, ... : .rlib, .rmeta, .so, .a, .o files and build
script programs) are never written once built, so DEST gets symbolic links to the template's
copies: every user reads the same files. Everything else is copied, with its times: what cargo
or evcxr write (fingerprints, dep-info, the cell's own crate) must be the user's own. Cargo
finds the links fresh (it compares times, which a link shows from its target); a dependency
that it did rebuild would replace its link by a file of the user's.

Hard links would look cheaper, but Linux refuses a user's hard link to a file owned by another
user (fs.protected_hardlinks), and copy-on-write copies exist only on some file systems.
"""
import os
import shutil
import sys

# Build outputs that cargo and rustc create once and never change in place.
SHARED_SUFFIXES = (".rlib", ".rmeta", ".so", ".a", ".o")
# The crate evcxr compiles each cell into: rebuilt all the time, so always the user's.
CELL_PREFIXES = ("libctx", "libcode_", "ctx-")


def shared(name):
    """Whether a file of the template's target folder is linked rather than copied."""
    if name.startswith(CELL_PREFIXES):
        return False
    return name.endswith(SHARED_SUFFIXES) or name.startswith("build-script-") or name.startswith("build_script_")


def clone(template, dest):
    """Copies `template` to `dest` (which must not exist) as described above; returns
    (files linked, files copied, bytes copied)."""
    linked = copied = copied_bytes = 0
    for root, dirs, files in os.walk(template):
        rel = os.path.relpath(root, template)
        out = os.path.join(dest, rel)
        os.makedirs(out, exist_ok=True)
        in_target = rel == "target" or rel.startswith("target" + os.sep)
        for name in files:
            src = os.path.join(root, name)
            dst = os.path.join(out, name)
            if os.path.islink(src):
                os.symlink(os.readlink(src), dst)
            elif in_target and shared(name):
                os.symlink(src, dst)
                linked += 1
            else:
                shutil.copy2(src, dst)
                copied += 1
                copied_bytes += os.path.getsize(dst)
    # Directory times last (creating entries changed them).
    for root, dirs, _ in os.walk(template):
        rel = os.path.relpath(root, template)
        shutil.copystat(root, os.path.join(dest, rel))
    return linked, copied, copied_bytes


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    template, dest = sys.argv[1:]
    if os.path.exists(dest):
        sys.exit(f"clone_build_folder.py: {dest} exists; remove it first")
    linked, copied, copied_bytes = clone(template, dest)
    print(f"build folder {dest}: {linked} files linked to {template}, {copied} copied "
          f"({copied_bytes / 2**20:.0f} MiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
