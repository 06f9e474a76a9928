"""Imports run one way (docs/architecture.md): web, ingest -> rules -> hub; outbound -> hub; nothing imports web."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    "hub": {"hub"},
    "rules": {"rules", "hub"},
    "outbound": {"outbound", "hub"},
    "ingest": {"ingest", "rules", "hub"},
    "web": {"web", "ingest", "rules", "hub"},
}


def project_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_lies_below_it(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(project_imports(path) - ALLOWED[package])
        for path in (ROOT / package).rglob("*.py")
        if project_imports(path) - ALLOWED[package]
    }
    assert wrong == {}
