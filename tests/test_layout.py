"""The package's layout holds: stages import only downwards, no module cycle, a light ``import budgetkg``.

The stages, bottom to top, are the table below.  A module of a lower stage never imports one of
a higher stage (not even inside a function); only the CLI imports ``tooling``.  ``cli.py`` and
``docs.py`` (which renders the README's ``--help`` blocks from the CLI, so imports it) sit at the
top, beside ``budgetkg/__init__.py``, the face that offers the verbs.  A new module must be given
a stage here, or under a subpackage that has one.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "loader" / "budgetkg"

# Stage name, and what belongs to it: a subpackage (all its modules) or a top-level module.
STAGES: list[tuple[str, set[str]]] = [
    ("core", {"errors", "resources", "records"}),
    ("template", {"template"}),
    ("read", {"read"}),
    ("render", {"render"}),
    ("check", {"check"}),
    ("rdf", {"rdf"}),
    ("load", {"load"}),
    ("query", {"query"}),
    ("publish", {"publish"}),
    ("server", {"server"}),
    ("tooling", {"tooling"}),
    ("cli", {"cli", "docs", "__main__", ""}),  # "": budgetkg/__init__.py, the face
]
LEVEL = {name: level for level, (name, _) in enumerate(STAGES)}
MAY_IMPORT_TOOLING = {"tooling", "cli"}


def module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> str | None:
    """The stage of ``budgetkg[.first[.rest]]``, by its first part under budgetkg."""
    parts = module.split(".")
    first = parts[1] if len(parts) > 1 else ""
    return next((name for name, members in STAGES if first in members), None)


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path, package: Path, *, top_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, imported budgetkg module) of each import in the file at ``path``, relative ones resolved.

    ``from X import name`` counts as importing ``X.name`` when that is a module.  With
    ``top_level_only``, imports inside functions and ``if TYPE_CHECKING:`` blocks are left out
    (they do not run when the module is imported).
    """
    module = module_name(path, package)
    current = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text("utf-8"), str(path))
    found: list[tuple[int, str]] = []

    def is_module(name: str) -> bool:
        relative = Path(*name.split(".")[1:])
        return (package / relative).with_suffix(".py").is_file() or (package / relative / "__init__.py").is_file()

    def visit(node: ast.AST) -> None:
        if top_level_only and (
            isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) or _is_type_checking(node)
        ):
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "budgetkg")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = current.split(".")[: len(current.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "budgetkg":
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    found.append((node.lineno, sub if is_module(sub) else target))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def upward_imports(package: Path) -> list[str]:
    """One message per import that breaks the stage order, and per module with no stage."""
    problems = []
    for path in sorted(package.rglob("*.py")):
        module = module_name(path, package)
        stage = stage_of(module)
        where = path.relative_to(package.parent)
        if stage is None:
            problems.append(f"{where}: module {module} has no stage: add it to STAGES in tests/test_layout.py")
            continue
        for line, target in imports(path, package):
            target_stage = stage_of(target)
            if target_stage is None:
                continue  # reported as a module of its own
            if LEVEL[target_stage] > LEVEL[stage]:
                problems.append(
                    f"{where}:{line}: {module} (stage {stage}) imports {target} (stage {target_stage}), a higher stage"
                )
            elif target_stage == "tooling" and stage not in MAY_IMPORT_TOOLING:
                problems.append(
                    f"{where}:{line}: {module} (stage {stage}) imports {target}: only the CLI imports tooling"
                )
    return problems


def test_every_module_has_a_stage_and_imports_only_downwards():
    assert upward_imports(PACKAGE) == []


def test_an_upward_import_is_caught(tmp_path):
    copy = tmp_path / "budgetkg"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("data", "static", "templates", "__pycache__"))
    sections = copy / "read" / "sections.py"
    sections.write_text(sections.read_text("utf-8") + "\n\ndef later():\n    from ..server import app\n", "utf-8")
    (copy / "stray.py").write_text('"""A module nobody gave a stage."""\n', "utf-8")
    problems = upward_imports(copy)
    assert len(problems) == 2, problems
    assert "budgetkg/read/sections.py:" in problems[0] or "budgetkg/read/sections.py:" in problems[1]
    assert any("budgetkg.read.sections (stage read) imports budgetkg.server.app (stage server)" in p for p in problems)
    assert any("module budgetkg.stray has no stage" in p for p in problems)


def test_no_import_cycle_between_modules():
    graph = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        module = module_name(path, PACKAGE)
        graph.add_node(module)
        graph.add_edges_from(
            (module, target) for _, target in imports(path, PACKAGE, top_level_only=True) if target != module
        )
    cycle = [] if nx.is_directed_acyclic_graph(graph) else nx.find_cycle(graph)
    assert cycle == []


def test_import_budgetkg_loads_no_submodule_until_a_verb_is_used():
    code = (
        "import sys, budgetkg\n"
        "print(sorted(m for m in sys.modules if m.startswith('budgetkg.')))\n"
        "print(budgetkg.read_document.__module__, budgetkg.build.__module__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, verbs = result.stdout.splitlines()
    assert loaded == "[]"
    assert verbs == "budgetkg.read.document budgetkg.load.graph"
