"""The shape of the code (issue 17): imports run downhill, the library never reaches for the
web or the CLI, the web never for the solver's engine, and every import hidden inside a
function is listed here with its reason."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("matcher", "web", "cli")

# (module, imported module) -> why the import sits inside a function
INNER_IMPORTS: dict[tuple[str, str], str] = {
    # optional extras: only one path needs them, and they may be absent
    ("matcher.split", "dask.distributed"): "extra 'dask': only the cluster path",
    # OR-Tools' CP-SAT module imports pandas (0.21 s of a 0.72 s solver import); most
    # plans (no hour budgets, loans or employer clashes) never build a CP-SAT model
    **{(m, "ortools.sat.python"): "CP-SAT loads pandas: imported when a model is built"
       for m in ("matcher.cpsat", "matcher.mentors", "matcher.placements", "matcher.loans",
                 "matcher.visit_model", "matcher.baselines")},
    # the catalogue: Babel's locale data only when a number or an English date is written;
    # Babel's .po reader only when a compiled .mo is missing or older than its .po
    ("matcher.catalog", "babel"): "locale data loaded on the first number written",
    ("matcher.catalog", "babel.dates"): "only English dates",
    ("matcher.catalog", "babel.messages.mofile"): "only without a fresh compiled .mo",
    ("matcher.catalog", "babel.messages.pofile"): "only without a fresh compiled .mo",
    ("matcher.review", "pandas"): "0.19 s of the planner's 0.66 s import: only the "
                                  "committee report needs it",
    # planner.preload: what planning imports on first use, imported while the bounded
    # child reads the roster (issue 20); the workbook writer only when a workbook is made
    **{("matcher.planner", m): "preloaded while the bounded child reads the roster"
       for m in ("ortools.sat.python.cp_model", "matcher.check", "matcher.io.plan_writer")},
    ("matcher.planner", "matcher.io.plan_writer.write_plan_workbook"):
        "the workbook child writes it (a plan without a workbook never loads the writer)",
    # scipy (0.25 s of a city plan's start-up) only where a roster is large: the KD-tree
    # join and scipy's components above their thresholds, and the regions' path (issue 20)
    ("matcher.geo", "scipy.spatial"): "KD-tree only for large point sets",
    ("matcher.mentors", "scipy.sparse"): "components in scipy only for large graphs",
    ("matcher.mentors", "scipy.sparse.csgraph"): "components in scipy only for large graphs",
    ("matcher.planner", "matcher.split"): "the regions' path (it imports scipy): large "
                                          "rosters only, preloaded beside the read",
    ("matcher.planner", "matcher.split.solve_split"): "the regions' path: large rosters only",
    # the benchmark preloads what its timed children would import, by design
    **{("matcher.bench", m): "preloaded before forking the timed children"
       for m in ("ortools.graph.python.min_cost_flow", "ortools.sat.python.cp_model",
                 "scipy.sparse.csgraph", "scipy.spatial", "matcher.baselines", "matcher.check",
                 "matcher.explain", "matcher.io.plan_writer", "matcher.schedule",
                 "matcher.solve", "matcher.split")},
}
# whole modules whose imports inside functions are a measured start-up gain: the CLI
# answers --help and validate without loading numpy/OR-Tools; the web app serves pages
# without the solver, which runs in the worker process; resource limits are set in the
# child before the reader is imported
START_UP = {
    "cli": "a command loads only what it runs (python run.py --help in a fraction of the "
           "time of importing the solver)",
    "web": "pages are served without numpy/OR-Tools; the planner runs in a worker",
    "matcher.io.sandbox": "the child sets its memory limit before importing the reader",
    "matcher.bench": "each timed method imports its own stack inside its child process",
    "matcher.bench_process": "the whole-process and web timings import what they drive "
                             "inside the measuring process, not with the benchmark",
}


def _modules() -> dict[str, ast.Module]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = ast.parse(path.read_text(encoding="utf-8"))
    return out


def _imports(name: str, tree: ast.Module):
    """(imported module, inside a function?) for every import of ``tree``."""
    inner = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inner.update(id(n) for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in inner
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name.split(".")[: -node.level] if node.level else []
                base = ".".join(pkg + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if full.split(".")[0] in PACKAGES else base), id(node) in inner


def _graph() -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    inner = []
    for name, tree in mods.items():
        for target, in_function in _imports(name, tree):
            hit = next((m for m in sorted(mods, key=len, reverse=True)
                        if target == m or target.startswith(m + ".")), None)
            if hit and hit != name:
                graph[name].add(hit)
            if in_function:
                inner.append((name, target))
    return graph, inner


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _is_package_init(graph: dict[str, set[str]], a: str, b: str) -> bool:
    return b == a.rsplit(".", 1)[0]


def test_no_import_cycles():
    graph, _ = _graph()
    # a package's __init__ importing its own submodules is not a cycle of concepts
    pruned = {a: {b for b in bs if not (a.startswith(b + ".") or b.startswith(a + "."))}
              for a, bs in graph.items()}
    assert _cycles(pruned) == []


def test_library_never_imports_web_flask_or_cli():
    mods = _modules()
    bad = [(name, target) for name, tree in mods.items() if name.startswith("matcher")
           for target, _ in _imports(name, tree)
           if target.split(".")[0] in ("web", "flask", "flask_wtf", "werkzeug", "waitress",
                                       "cli")]
    assert bad == []


def test_web_never_imports_the_solver_engine():
    mods = _modules()
    bad = [(name, target) for name, tree in mods.items() if name.startswith("web")
           for target, _ in _imports(name, tree) if target.split(".")[0] == "ortools"]
    assert bad == []


def test_imports_inside_functions_are_listed_with_a_reason():
    _, inner = _graph()
    unlisted = sorted({(name, target) for name, target in inner
                       if (name, target) not in INNER_IMPORTS
                       and not any(name == m or name.startswith(m + ".") for m in START_UP)})
    assert unlisted == [], "move these imports to the top of the module, or list them " \
                           "with their reason"


def test_the_listed_inner_imports_still_exist():
    """A stale entry would let a new hidden import through unnoticed."""
    _, inner = _graph()
    assert set(INNER_IMPORTS) <= set(inner)


def test_no_module_over_about_600_lines():
    long = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            n = len(path.read_text(encoding="utf-8").splitlines())
            if n > 650:
                long[str(path.relative_to(ROOT))] = n
    assert long == {}
