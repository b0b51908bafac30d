"""The crate's shape, read from its sources: which module uses which (no circle; the kernel's
plumbing reached only from the crate's edges, never from the lesson's types) and no source
file over 400 lines. Each module is a top-level module of crate/src (a file and its folder).
"""
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "crate" / "src"
# The modules that may talk to the notebook kernel: device (the process is set up where a
# tensor is placed), interrupt (Kernel -> Interrupt as a stop request), display (output).
KERNEL_USERS = {"device", "display", "interrupt"}
# The lesson's types: a dataset, a network, a history, a loss, an optimizer know nothing of
# Jupyter, of interrupts or of showing things.
DOMAIN = {"cnn", "data", "history", "loss", "model", "optim", "predictions", "summary", "table"}


def module_of(path):
    """The top-level module a source file belongs to ("lib" for lib.rs)."""
    first = path.relative_to(SRC).parts[0]
    return first.removesuffix(".rs")


def imports():
    """Top-level module -> the other top-level modules its code names (comments left out)."""
    modules = {module_of(p) for p in SRC.rglob("*.rs")} - {"lib"}
    graph = {m: set() for m in modules}
    for path in SRC.rglob("*.rs"):
        module = module_of(path)
        if module == "lib":
            continue
        code = re.sub(r"//.*", "", path.read_text())
        graph[module] |= set(re.findall(r"\bcrate::([a-z_]+)", code)) & modules
    for module, uses in graph.items():
        uses.discard(module)
    return graph


def test_no_module_reaches_itself_through_others():
    graph = imports()

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    circles = sorted(m for m in graph if m in reach(m))
    assert not circles, f"modules in a circle of imports: {circles}"


def test_kernel_plumbing_stays_at_the_edges():
    graph = imports()
    assert "kernel" in graph
    users = {m for m, uses in graph.items() if "kernel" in uses}
    assert users <= KERNEL_USERS, f"only {sorted(KERNEL_USERS)} may use kernel, not {sorted(users - KERNEL_USERS)}"
    for module in sorted(DOMAIN):
        plumbing = graph[module] & {"kernel", "interrupt", "display"}
        assert not plumbing, f"{module} uses {sorted(plumbing)}"


def test_no_source_file_over_400_lines():
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.rs") if (n := len(p.read_text().splitlines())) > 400}
    assert not long, f"split these files by concern: {long}"
