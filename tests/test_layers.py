"""The shape of the code: imports go one way, nothing imports in a loop, no module is long.

The import contracts live in pyproject.toml (``[tool.importlinter]``) and ``make lint``
checks them with ``lint-imports``; these tests prove that check bites, that its lists name
every module, and add what import-linter does not check: cycles between single modules
(imports inside functions included) and the length of each module.
"""

import importlib.util
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "conference"
MAX_LINES = 500


def contracts():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {contract["id"]: contract for contract in config["tool"]["importlinter"]["contracts"]}


def lint_imports(cwd, *arguments):
    """Run ``lint-imports`` in ``cwd`` (it checks the ``conference`` found there)."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
            "--no-logo",
            "--no-cache",
            *arguments,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)

    assert result.returncode == 0, (
        "lint-imports found imports against the layers in pyproject.toml:\n" + result.stdout
    )


# A line added at the end of a module, the contract it breaks, and the import the report
# must name.
UPWARD_IMPORTS = [
    (
        "clock.py",
        "import conference.registration",
        "shared",
        "conference.clock -> conference.registration",
    ),
    ("calendar/links.py", "import flask", "pure-calendar", "conference.calendar.links -> flask"),
    (
        "calendar/ics.py",
        "from conference.calendar import services",
        "pure-calendar",
        "conference.calendar.ics -> conference.calendar.services",
    ),
    (
        "mailer/models.py",
        "import conference.manage",
        "layers",
        "conference.mailer.models -> conference.manage",
    ),
    (
        "content/models.py",
        "from conference.site import views",
        "own-pages",
        "conference.content.models -> conference.site.views",
    ),
]


@pytest.fixture
def copy_of_the_tree(tmp_path):
    """A copy of the package and its contracts, to add an import to."""
    shutil.copytree(PACKAGE, tmp_path / "conference", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(("module", "line", "contract", "named"), UPWARD_IMPORTS)
def test_the_import_check_catches_an_import_against_the_layers(
    copy_of_the_tree, module, line, contract, named
):
    before = lint_imports(ROOT, "--contract", contract)
    path = copy_of_the_tree / "conference" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # against the layers\n")

    after = lint_imports(copy_of_the_tree, "--contract", contract)

    assert "does not exist" not in after.stdout + after.stderr, after.stdout + after.stderr
    assert after.returncode != 0, f"lint-imports let `{line}` in conference/{module} pass"
    assert named in after.stdout, after.stdout
    assert named not in before.stdout, "the tree as it is already breaks it:\n" + before.stdout


def test_the_contracts_name_every_module():
    """A new module at the top of conference/ is shared; a new package is a feature. Either
    way the contracts must know it, or nothing checks its imports."""
    by_id = contracts()
    shared = {name.removeprefix("conference.") for name in by_id["shared"]["source_modules"]}
    forbidden = {name.removeprefix("conference.") for name in by_id["shared"]["forbidden_modules"]}
    layered = {
        name.strip().strip("()")
        for layer in by_id["layers"]["layers"]
        for name in layer.replace(":", "|").split("|")
    }
    modules = {path.stem for path in PACKAGE.glob("*.py") if path.name != "__init__.py"}
    features = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}

    assert not modules - shared, (
        f"modules at the top of conference/ that the 'shared' contract does not check: "
        f"{sorted(modules - shared)} (a module at the top is shared: add it to the contract's "
        "source_modules in pyproject.toml, or move it into the feature it belongs to)"
    )
    assert not features - forbidden, (
        f"feature packages the shared modules may import: {sorted(features - forbidden)} "
        "(add them to the 'shared' contract's forbidden_modules in pyproject.toml)"
    )
    assert not features - layered, (
        f"feature packages outside the layers: {sorted(features - layered)} "
        "(give them their place in the 'layers' contract in pyproject.toml)"
    )


def import_cycles(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in imports[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return cycles


def describe(graph, component):
    """One loop through the component, with the line of each import, and its other members."""
    first = component[0]
    back = min(
        (
            graph.find_shortest_chain(importer=imported, imported=first)
            for imported in graph.find_modules_directly_imported_by(first)
            if imported in component
        ),
        key=len,
    )
    loop = [first, *back]
    steps = []
    for importer, imported in zip(loop, loop[1:], strict=False):
        lines = sorted(
            detail["line_number"]
            for detail in graph.get_import_details(importer=importer, imported=imported)
        )
        steps.append(f"    {importer} -> {imported} (l.{', '.join(map(str, lines))})")
    others = sorted(set(component) - set(loop))
    return "\n".join(
        [f"  {len(component)} modules in a loop, e.g.:", *steps]
        + ([f"    (also in it: {', '.join(others)})"] if others else [])
    )


def test_no_module_of_conference_imports_itself_through_others():
    """Imports inside functions count: a loop of local imports is still a loop."""
    assert Path(importlib.util.find_spec("conference").origin).parent == PACKAGE
    graph = grimp.build_graph("conference", cache_dir=None)

    cycles = import_cycles(graph)

    assert not cycles, "import cycles in conference/:\n" + "\n".join(
        describe(graph, component) for component in cycles
    )


def test_cycles_are_found_and_described():
    graph = grimp.ImportGraph()
    for module in ("a", "a.b", "a.c", "a.d"):
        graph.add_module(module)
    graph.add_import(importer="a.b", imported="a.c", line_number=3, line_contents="import a.c")
    graph.add_import(importer="a.c", imported="a.b", line_number=7, line_contents="import a.b")
    graph.add_import(importer="a.c", imported="a.d", line_number=8, line_contents="import a.d")

    cycles = import_cycles(graph)

    assert cycles == [["a.b", "a.c"]]
    assert describe(graph, cycles[0]).splitlines()[1:] == [
        "    a.b -> a.c (l.3)",
        "    a.c -> a.b (l.7)",
    ]


def test_no_module_of_conference_or_bench_is_over_500_lines():
    long = {}
    for folder in (PACKAGE, ROOT / "bench"):
        for path in sorted(folder.rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                long[str(path.relative_to(ROOT))] = lines

    assert not long, (
        f"modules over {MAX_LINES} lines (split each by what its parts hold): "
        + ", ".join(f"{path} ({lines})" for path, lines in long.items())
    )
