"""The package's layers, read from the code: imports point down only, no circles, no import
hidden in a function body, no private name taken from another module.

The layer order below is the architecture (docs/architecture.md); a new folder must be placed
in it before it can import anything."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "xlpkg"

# Top to bottom. A module may import modules of its own layer (no circles) and of layers below.
LAYERS: list[tuple[str, ...]] = [
    ("xlpkg.__main__", "xlpkg.entry", "xlpkg.cli"),
    ("xlpkg.buttons", "xlpkg.libreoffice", "xlpkg.documents", "xlpkg.delivery", "xlpkg.udfs"),
    ("xlpkg.frontends",),
    ("xlpkg.history", "xlpkg.review", "xlpkg.carryover", "xlpkg.library"),   # the yearly loop
    ("xlpkg.summary",),
    ("xlpkg.consolidate",),
    ("xlpkg.department",),
    ("xlpkg.workbook",),
    ("xlpkg.sources",),
    ("xlpkg.model", "xlpkg.rules", "xlpkg.issues", "xlpkg.targets", "xlpkg.metrics", "xlpkg.checks",
     "xlpkg.report", "xlpkg.cellref", "xlpkg.cell_text", "xlpkg.target_wording", "xlpkg.scoring_target",
     "xlpkg.target_variants", "xlpkg.cost"),
    ("xlpkg.system",),
]
# Imports that may stay inside functions: optional or heavy third-party packages only.
# The package face (xlpkg/__init__.py) loads its few names lazily and is not a layer.
FACE = "xlpkg"
# The command's entry point imports the CLI late on purpose: a Ctrl-C while the modules load
# must get the same answer as one during the work (see xlpkg/entry.py).
LATE_IMPORTS = {"xlpkg.entry"}
# Imports deferred on purpose, each with its reason (a heavy optional backend, not a circle).
DEFERRED = {
    ("xlpkg.history.store", "xlpkg.history.database"):
        "SQLAlchemy costs about 0.3 s of start-up: only a command that opens the store loads it",
    ("xlpkg.cli.consolidate", "xlpkg.consolidate.department_forms"):
        "openpyxl costs about 0.2 s of start-up: only consolidate --dept-forms loads it",
}
# Files run by another interpreter (LibreOffice's Python), never imported by the package.
STANDALONE = {"xlpkg.libreoffice.harness_worker", "xlpkg.libreoffice.oxt.xlpkg_component"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


ALL = modules()


def resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(name: str, path: Path):
    """(target module, names, at module level?) for every import of an xlpkg module."""
    tree = ast.parse(path.read_text("utf-8"))
    top_level = {id(n) for n in tree.body}
    for stmt in tree.body:   # `if TYPE_CHECKING:` / try blocks at module level count as top level
        if isinstance(stmt, (ast.If, ast.Try)):
            top_level.update(id(n) for n in ast.walk(stmt))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = resolve(name, path.name == "__init__.py", node)
            if not target.startswith("xlpkg"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (sub if sub in ALL else target), alias.name, id(node) in top_level
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("xlpkg"):
                    yield alias.name, "", id(node) in top_level


def layer_of(module: str) -> int | None:
    for index, layer in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in layer):
            return index
    return None


def edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in ALL.items():
        if name in STANDALONE:
            continue
        for target, _, _ in imports_of(name, path):
            if target != name:
                graph[name].add(target)
    return graph


def imported_names(importer: str, target: str) -> list[str]:
    return [n for t, n, _ in imports_of(importer, ALL[importer]) if t == target]


def test_every_module_has_a_layer():
    unplaced = [m for m in ALL if m != FACE and m not in STANDALONE and layer_of(m) is None]
    assert not unplaced, f"place these modules in LAYERS: {unplaced}"


def test_imports_point_down():
    upward = []
    for name, targets in edges().items():
        if name == FACE:
            continue
        for target in targets:
            if target == FACE and not all(n == "__version__" for n in imported_names(name, FACE)):
                upward.append(f"{name} -> {target} (import the module that defines the name)")
            elif layer_of(target) is not None and layer_of(name) is not None and layer_of(target) < layer_of(name):
                upward.append(f"{name} -> {target}")
    assert not upward, "imports that climb a layer:\n" + "\n".join(sorted(upward))


def test_no_circles():
    graph = edges()
    state: dict[str, int] = {}
    circles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == FACE or nxt not in ALL:
                continue
            # a package's face importing its own submodules is how a face works, not a circle
            if node != nxt and nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                circles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert not circles, "import circles:\n" + "\n".join(circles)


def test_no_imports_hidden_in_functions():
    hidden = [f"{name}: {target}" for name, path in ALL.items()
              if name not in (FACE, *STANDALONE, *LATE_IMPORTS)
              for target, _, top in imports_of(name, path)
              if not top and (name, target) not in DEFERRED]
    assert not hidden, "xlpkg modules imported inside functions (import them at the top):\n" + "\n".join(hidden)


def test_no_private_names_across_modules():
    taken = [f"{name} takes {target}.{imported}" for name, path in ALL.items()
             for target, imported, _ in imports_of(name, path)
             if imported.startswith("_") and not imported.startswith("__") and target != name]
    assert not taken, "private names imported from another module:\n" + "\n".join(taken)


def test_the_checker_sees_an_upward_import(tmp_path):
    """The checks above can fail: a core module importing the workbook layer is caught."""
    assert layer_of("xlpkg.metrics") > layer_of("xlpkg.workbook.reader")
    assert layer_of("xlpkg.system.safeio") > layer_of("xlpkg.model")


def test_every_folder_of_modules_is_a_package():
    """A folder without __init__.py imports from a checkout but is left out of the wheel and the
    .oxt (find_packages skips it)."""
    folders = {p.parent for p in PACKAGE.rglob("*.py")} - {PACKAGE / "libreoffice" / "oxt"}   # package data
    missing = sorted(str(f.relative_to(PACKAGE.parent)) for f in folders if not (f / "__init__.py").is_file())
    assert not missing, f"add __init__.py to: {missing}"
