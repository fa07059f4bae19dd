"""DESIGN's import rules and size limit for forum/, checked by reading the files (ast), by path.

1. `web/`, `api/` and `cli/` never import each other; nothing outside them imports them but
   the app factory (forum/__init__.py), so the use cases (posting, accounts, reading, history,
   visibility, review/, digest/, models/, …) never reach a view or a command.
2. Only `screening.py` and `review/` import `moderation`, and only its public names
   (`moderation/__init__`'s `__all__`), never a submodule such as `moderation.training`.
3. Models import nothing of the forum but the extensions and each other.
4. No module imports `wsgi`.
5. No import cycles among the modules' import-time (module-level) imports.
6. No module is longer than MAX_LINES.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import moderation

ROOT = Path(__file__).resolve().parents[2]
FORUM = ROOT / "forum"
MAX_LINES = 400
ENTRY_POINTS = {"web", "api", "cli"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. "forum.web.board"
    target: str  # what it imports, e.g. "forum.posting" or "moderation"
    names: tuple[str, ...]  # for `from X import a, b`: ("a", "b"); () for `import X`
    line: int
    module_level: bool  # runs at import time (not inside a function)


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _exists(module: str, root: Path = ROOT) -> bool:
    path = root.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _walk(node: ast.AST, module_level: bool = True) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        inside = module_level and not isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
        )
        yield child, inside
        yield from _walk(child, inside)


def imports_of(path: Path, root: Path = ROOT) -> list[Import]:
    """Every import in the file, with relative imports resolved to absolute module names.

    `from . import x` counts as importing the submodule `x` when there is one, else the package.
    """
    module = _module_name(path, root)
    package = module if _is_package(path) else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []
    for node, module_level in _walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(module, alias.name, (), node.lineno, module_level))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names = tuple(alias.name for alias in node.names)
            submodules = [f"{target}.{name}" for name in names
                          if _exists(f"{target}.{name}", root)]
            if submodules and node.level:
                for sub in submodules:
                    found.append(Import(module, sub, (), node.lineno, module_level))
                rest = tuple(n for n in names if f"{target}.{n}" not in submodules)
                if rest:
                    found.append(Import(module, target, rest, node.lineno, module_level))
            else:
                found.append(Import(module, target, names, node.lineno, module_level))
    return found


def forum_files() -> list[Path]:
    return sorted(FORUM.rglob("*.py"))


def all_imports() -> list[Import]:
    return [imp for path in forum_files() for imp in imports_of(path)]


def area(module: str) -> str | None:
    """"web", "api", "cli", … for forum.web.x; None for the factory itself (forum)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "forum" else None


def _is(target: str, top: str) -> bool:
    return target == top or target.startswith(top + ".")


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles in a directed graph (depth-first search; one cycle reported per back edge)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


# ------------------------------------------------------------------ the rules


def test_the_parser_sees_the_layout():
    names = {_module_name(path) for path in forum_files()}
    assert {"forum.web.board", "forum.api.auth", "forum.cli.users", "forum.review.cases",
            "forum.digest.ledger", "forum.models.community", "forum.screening"} <= names
    edges = {(imp.module, imp.target) for imp in all_imports()}
    assert ("forum.web.board", "forum.posting") in edges  # from .. import posting
    assert ("forum.review.cases", "forum.review.audit") in edges  # from .audit import audit
    assert ("forum.screening", "moderation") in edges


def test_web_api_and_cli_do_not_import_each_other():
    problems = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in all_imports()
        if area(imp.module) in ENTRY_POINTS
        for other in ENTRY_POINTS - {area(imp.module)}
        if _is(imp.target, f"forum.{other}")
    ]
    assert problems == []


def test_only_the_factory_imports_web_api_and_cli():
    problems = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in all_imports()
        if imp.module != "forum" and area(imp.module) not in ENTRY_POINTS
        and any(_is(imp.target, f"forum.{entry}") for entry in ENTRY_POINTS)
    ]
    assert problems == []


def test_only_screening_and_review_import_moderation_and_only_its_public_names():
    public = set(moderation.__all__)
    problems = []
    for imp in all_imports():
        if not _is(imp.target, "moderation"):
            continue
        allowed_here = imp.module == "forum.screening" or _is(imp.module, "forum.review")
        if not allowed_here:
            problems.append(f"{imp.module}:{imp.line} imports moderation")
        elif imp.target != "moderation":
            problems.append(f"{imp.module}:{imp.line} imports {imp.target} (not public)")
        elif set(imp.names) - public:
            problems.append(f"{imp.module}:{imp.line} imports {sorted(set(imp.names) - public)}")
    assert problems == []


def test_the_forum_uses_only_public_attributes_of_moderation():
    # `import moderation` then `moderation.training....` would get around the rule above.
    public = set(moderation.__all__)
    problems = []
    for path in forum_files():
        if not any(imp.target == "moderation" and not imp.names for imp in imports_of(path)):
            continue  # no `import moderation` (forum/api's own `moderation` module is not it)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == "moderation" and node.attr not in public):
                problems.append(f"{_module_name(path)}:{node.lineno} uses moderation.{node.attr}")
    assert problems == []


def test_models_import_only_extensions_and_models():
    problems = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in all_imports()
        if area(imp.module) == "models" and _is(imp.target, "forum")
        and not (_is(imp.target, "forum.models") or imp.target == "forum.extensions")
    ]
    assert problems == []


def test_nothing_imports_wsgi():
    assert [f"{imp.module}:{imp.line}" for imp in all_imports() if _is(imp.target, "wsgi")] == []


def test_no_import_cycles():
    graph: dict[str, set[str]] = {}
    for imp in all_imports():
        if imp.module_level and _is(imp.target, "forum") and imp.target != imp.module:
            graph.setdefault(imp.module, set()).add(imp.target)
    assert find_cycles(graph) == []


def test_the_cycle_finder_finds_a_made_up_cycle():
    graph = {
        "forum.models": {"forum.models.community"},
        "forum.models.community": {"forum.extensions"},
        "forum.posting": {"forum.review", "forum.models"},
        "forum.review": {"forum.review.cases"},
        "forum.review.cases": {"forum.posting"},  # the made-up way back
    }
    cycles = find_cycles(graph)
    assert cycles == [["forum.posting", "forum.review", "forum.review.cases", "forum.posting"]]
    del graph["forum.review.cases"]
    assert find_cycles(graph) == []


def test_the_cycle_finder_sees_a_cycle_written_as_relative_imports(tmp_path):
    # The same parser as above, on made-up files: a and b import each other at module level;
    # b's import of c inside a function is not an import-time edge.
    package = tmp_path / "forum" / "made_up"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("from .a import thing\n\n\ndef later():\n    from . import c\n")
    (package / "c.py").write_text("")
    graph: dict[str, set[str]] = {}
    for path in sorted(package.glob("*.py")):
        for imp in imports_of(path, tmp_path):
            if imp.module_level:
                graph.setdefault(imp.module, set()).add(imp.target)
    assert graph == {"forum.made_up.a": {"forum.made_up.b"}, "forum.made_up.b": {"forum.made_up.a"}}
    assert find_cycles(graph) == [["forum.made_up.a", "forum.made_up.b", "forum.made_up.a"]]


def test_no_module_is_longer_than_the_limit():
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in forum_files()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}


def test_test_modules_do_not_import_each_other():
    # Shared helpers live in tests/support/ (and a folder's conftest.py), not in a test module.
    problems = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for imp in imports_of(path):
            last = imp.target.rpartition(".")[2]
            if imp.target.startswith("tests.") and (
                    last.startswith("test_") or any(n.startswith("test_") for n in imp.names)):
                problems.append(f"{path.relative_to(ROOT)}:{imp.line} imports {imp.target}")
    assert problems == []
