"""How the suite itself is built: what test modules share comes from tests/support. No test
module imports another test module or a conftest: those are pytest's to load, and a helper kept
in one ties every module that uses it to that module's tests and fixtures."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def is_test_module_or_conftest(dotted):
    return any(part == "conftest" or part.startswith("test_") for part in dotted.split(".") if part)


def imported(tree):
    """Every module an import in `tree` names, at any depth, relative ones included, as
    (line, dotted name)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            yield node.lineno, module
            # `from . import test_x` and `from tests import conftest` name modules too.
            if not is_test_module_or_conftest(module):
                yield from ((node.lineno, f"{module}.{alias.name}") for alias in node.names)


def test_no_test_module_imports_a_test_module_or_a_conftest():
    offenders = [
        f"{path.relative_to(TESTS)}:{line} imports {name}"
        for path in sorted(TESTS.rglob("test_*.py"))
        for line, name in imported(ast.parse(path.read_text(), filename=str(path)))
        if is_test_module_or_conftest(name)
    ]

    assert offenders == []
