"""The package's modules import one another without a cycle. Every module of `tvti/` is parsed with `ast` (nothing is
imported), every import it names is read, at module level and inside functions alike, and the graph is searched for
a cycle. `TVTI_IMPORTS_ROOT` points the test at another checkout (e.g. an older commit) instead of this one."""
import ast, os
from pathlib import Path

ROOT = Path(os.environ.get("TVTI_IMPORTS_ROOT", Path(__file__).resolve().parents[1]))
PKG = "tvti"

def module_names(root=ROOT) -> dict:
    "{module name: file} for every module of the package (`tvti.core`, ...; `tvti` for its `__init__.py`)."
    files = sorted((Path(root) / PKG).rglob("*.py"))
    return {".".join(f.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): f for f in files}

def imported(name: str, path: Path, modules) -> set:
    "The package's modules that module `name` (file `path`) imports anywhere in its code."
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    def add(target):                      # `tvti.a.b`: the longest prefix that is one of the package's modules
        parts = target.split(".")
        for k in range(len(parts), 0, -1):
            if ".".join(parts[:k]) in modules:
                found.add(".".join(parts[:k])); return
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for a in node.names: add(a.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:                # from . import x, from .x import y, from ..x import y
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else: mod = node.module or ""
            add(mod)
            for a in node.names: add(f"{mod}.{a.name}")     # from tvti import core: the module core
    found.discard(name)
    return found

def import_graph(root=ROOT) -> dict:
    "{module: set of the package's modules it imports}."
    modules = module_names(root)
    return {m: imported(m, f, modules) for m, f in modules.items()}

def reach(graph: dict, start: str) -> set:
    "The modules that `start` imports, directly or through others."
    seen, todo = set(), [start]
    while todo:
        for n in graph.get(todo.pop(), ()):
            if n not in seen: seen.add(n); todo.append(n)
    return seen

def shortest_cycle(graph: dict, start: str) -> list | None:
    "The shortest chain of imports from `start` back to `start`, [start, ..., start], or None (breadth first)."
    back, todo = {}, [start]
    while todo:
        nxt = []
        for m in todo:
            for n in sorted(graph.get(m, ())):
                if n == start:
                    path = [m]
                    while path[-1] != start: path.append(back[path[-1]])
                    return [start] + path[::-1][1:] + [start] if m != start else [start, start]
                if n not in back: back[n] = m; nxt.append(n)
        todo = nxt
    return None

def find_cycles(graph: dict) -> list[list]:
    """For each group of modules that import one another (a strongly connected component), the shortest cycle
    through each of its modules, [a, b, ..., a], without repeats."""
    out, done = [], set()
    for m in sorted(graph):
        if m in done or m not in reach(graph, m): continue
        group = {n for n in reach(graph, m) if m in reach(graph, n)}
        done |= group
        for n in sorted(group):
            c = shortest_cycle(graph, n)
            if not any(set(c) == set(o) for o in out): out.append(c)
    return out

def test_graph_reads_imports(tmp_path):
    "The reader sees every form of import, at module level and inside functions, and finds a planted cycle."
    p = tmp_path / PKG; p.mkdir()
    (p / "__init__.py").write_text("")
    (p / "a.py").write_text("from .b import f\n")
    (p / "b.py").write_text("import os\ndef f():\n    from tvti.c import g\n    return g\n")
    (p / "c.py").write_text("def g():\n    import tvti.d\n")
    (p / "d.py").write_text("from tvti import a\n")
    g = import_graph(tmp_path)
    assert g == {"tvti": set(), "tvti.a": {"tvti.b"}, "tvti.b": {"tvti.c"}, "tvti.c": {"tvti.d"},
                 "tvti.d": {"tvti", "tvti.a"}}
    assert find_cycles(g) == [["tvti.a", "tvti.b", "tvti.c", "tvti.d", "tvti.a"]]
    (p / "e.py").write_text("from .f import x\n"); (p / "f.py").write_text("def x():\n    from .e import y\n")
    assert find_cycles(import_graph(tmp_path))[1] == ["tvti.e", "tvti.f", "tvti.e"]      # every cycle is named
    (p / "g.py").write_text("from .e import z\n"); (p / "e.py").write_text("from .f import x\nfrom .g import z\n")
    assert find_cycles(import_graph(tmp_path))[1:] == [["tvti.e", "tvti.f", "tvti.e"], ["tvti.g", "tvti.e", "tvti.g"]]
    (p / "e.py").write_text("")
    (p / "d.py").write_text("from . import core\n"); (p / "f.py").write_text("")
    assert find_cycles(import_graph(tmp_path)) == []

def test_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 10, f"no package found under {ROOT}"
    cycles = find_cycles(graph)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
