"""No import rings between choso's modules (the style guide's "layers written down and checked").

import-linter's contracts (pyproject.toml, run by the test command) check packages against each other; this
checks every module: none imports another that imports it back, directly or round a ring of any length.
Imports made only for type checking do not count (they never run).
"""

import grimp

# The one ring left, and why: the app factory adds plugins' commands, which must not take the name of a
# command of choso's own CLI (core.cli), whose commands in turn build the app.
KNOWN = [{"core.app", "core.cli", "core.plugin_setup"}]


def rings(graph) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            ring = set()
            while True:
                member = stack.pop()
                ring.add(member)
                if member == module:
                    break
            if len(ring) > 1:
                found.append(ring)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_another_that_imports_it_back():
    graph = grimp.build_graph("core", "payments", "plugins", "marketplace_adapters",
                              exclude_type_checking_imports=True, cache_dir=None)
    assert [sorted(ring) for ring in rings(graph) if ring not in KNOWN] == []


def test_a_ring_is_found_when_there_is_one():
    graph = grimp.ImportGraph()
    for importer, imported in (("a.x", "a.y"), ("a.y", "a.z"), ("a.z", "a.x"), ("a.z", "a.w")):
        graph.add_import(importer=importer, imported=imported)
    assert rings(graph) == [{"a.x", "a.y", "a.z"}]
