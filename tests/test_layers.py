"""The package's folders are its layers, and imports only go down them.

``docs/architecture.md`` draws the layers: ``vocabulary`` (names every side shares) ->
``models`` (the spec and the options, validated) -> ``plan`` (arguments checked,
references resolved) -> ``builders`` (the Kubernetes objects) -> ``components`` (the
Pulumi resources) -> the front ends (``manifests``, ``provider``, ``offline``). A module
may import its own layer and the layers below it, never one above: that is what lets a
newcomer read the tree from the spec to Pulumi, and keeps each layer testable without
the next. The check reads every import statement (``ast``), at any depth, lazy ones
included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ome_mcp_components

PACKAGE = Path(ome_mcp_components.__file__).parent
ROOT = "ome_mcp_components"
#: Each top-level module or folder of the package, by layer (a higher number is higher up).
LAYERS = {
    "errors": 0, "sdk_internals": 0, "vocabulary": 0,
    "models": 1,
    "plan": 2,
    "builders": 3,
    "components": 4,
    "manifests": 5, "provider": 5, "offline": 5,
}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            if base == ROOT:  # ``from ome_mcp_components import plan``
                found.update(f"{ROOT}.{alias.name}" for alias in node.names)
    return {name for name in found if name == ROOT or name.startswith(ROOT + ".")}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_every_top_level_module_has_a_layer() -> None:
    tops = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"} | {
        p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert tops == set(LAYERS)


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module(path)
        mine = _layer(module)
        if mine is None:  # the package's __init__: the public API, on top of everything
            continue
        tree = ast.parse(path.read_text(), str(path))
        for target in _imported(tree, module, path.name == "__init__.py"):
            theirs = _layer(target)
            if theirs is not None and theirs > mine:
                upward.append(f"{module} (layer {mine}) imports {target} (layer {theirs})")
    assert upward == []
