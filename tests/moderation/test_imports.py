"""DESIGN import rules for moderation/: only the standard library at module level."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "moderation"
HEAVY = ("torch", "transformers", "detoxify", "flask", "sqlalchemy", "bleach", "forum")
MODULES = [
    "moderation",
    "moderation.types",
    "moderation.text",
    "moderation.rules",
    "moderation.policy",
    "moderation.pipeline",
    "moderation.batching",
    "moderation.evaluation",
    "moderation.__main__",
    "moderation.models",
    "moderation.training",
]


def test_importing_moderation_pulls_in_no_heavy_or_web_packages():
    code = (
        "import importlib, json, sys\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    loaded = json.loads(result.stdout)
    offenders = [m for m in loaded if m.split(".")[0] in HEAVY]
    assert offenders == []


def _module_level_imports(tree: ast.Module):
    """Import statements that run at import time (not inside a function)."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def test_module_level_imports_are_standard_library_or_moderation():
    allowed = set(sys.stdlib_module_names) | {"moderation", "__future__"}
    problems = []
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _module_level_imports(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else ["moderation"]
            else:
                names = [alias.name for alias in node.names]
            for name in names:
                if name.split(".")[0] not in allowed:
                    problems.append(f"{path.name}:{node.lineno} imports {name}")
    assert problems == []


def test_the_public_names_are_exported():
    import moderation

    for name in (
        "Pipeline",
        "Item",
        "Verdict",
        "Decision",
        "RuleHit",
        "HARMFUL",
        "COMMUNITY_LABELS",
    ):
        assert hasattr(moderation, name)
    assert (*moderation.HARMFUL, "crisis") == moderation.COMMUNITY_LABELS
