"""Imports run one way: the general library below, the competition application on top.

The layering drawn in the README's "Layout" section, checked two ways: by reading every
``import`` of the package (ast, so imports inside functions count too), and by importing the
general modules in a fresh interpreter and looking at what got loaded.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "featurekit"
README = PACKAGE.parent / "README.md"

# The application: the competition, the recipes and the command line, plus the shims left at
# the old import paths of moved competition modules. Everything else is the general library.
APPLICATION = (
    "featurekit.competition",
    "featurekit.recipes",
    "featurekit.cli",
    "featurekit.__main__",
    "featurekit.synthetic",
    "featurekit.submission",
    "featurekit.io.competition",
)
# Modules that may import nothing from featurekit, and what a few others may import.
FOUNDATION = ("featurekit.conventions", "featurekit.validation", "featurekit.proba")
ALLOWED = {
    "featurekit.panel": FOUNDATION,
    "featurekit.preprocess": (*FOUNDATION, "featurekit.panel"),
}
# Names that moved to the competition in 0.2.0 and stay importable from their old module,
# loaded only when asked for (a module __getattr__), so importing the module loads nothing.
COMPAT = {
    "featurekit.io": ("featurekit.competition.ingest",),
    "featurekit.datasets": ("featurekit.competition.schema", "featurekit.competition.synthetic"),
}
# The rows of the README's diagram, bottom first: a module may import its own row and the
# rows below it. A new module must be given a row here and in the README.
LAYERS = {
    "foundation": (*FOUNDATION, "featurekit.logs"),
    "panel": ("featurekit.panel",),
    "data": (
        "featurekit.io",
        "featurekit.datasets",
        "featurekit.preprocess",
        "featurekit.features",
    ),
    "extraction": (
        "featurekit.fold_features",
        "featurekit.extraction",
        "featurekit.chunking",
        "featurekit.cache",
    ),
    "models": (
        "featurekit.report",
        "featurekit.evaluate",
        "featurekit.models",
        "featurekit.calibration",
        "featurekit.families",
        "featurekit.selection",
        "featurekit.embeddings",
        "featurekit.encoder",
    ),
    "application": APPLICATION,
}
# Old import paths kept as shims; not drawn in the diagram.
SHIMS = ("featurekit.synthetic", "featurekit.submission", "featurekit.io.competition")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every featurekit module ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "featurekit" or name.startswith("featurekit.")}


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GENERAL = [m for m in MODULES if not _within(m, APPLICATION) and m != "featurekit"]


def _layer(module: str) -> int | None:
    """The row of ``module`` (0 = foundation), by its longest listed prefix."""
    best = None
    for rank, prefixes in enumerate(LAYERS.values()):
        for prefix in prefixes:
            if _within(module, (prefix,)) and (best is None or len(prefix) > best[1]):
                best = (rank, len(prefix))
    return None if best is None else best[0]


def _resolve(name: str) -> str:
    """The module an imported name lives in (``featurekit.features.compute_features`` ->
    ``featurekit.features``)."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


@pytest.mark.parametrize("module", GENERAL)
def test_general_modules_do_not_import_the_application(module):
    wrong = sorted(
        n
        for n in _imports(MODULES[module])
        if _within(n, APPLICATION) and not _within(n, COMPAT.get(module, ()))
    )
    assert not wrong, (
        f"{module} imports {wrong}: the general library must not know the "
        "competition (see the README's Layout)"
    )


@pytest.mark.parametrize("module", [*FOUNDATION, *ALLOWED])
def test_lower_layers_import_only_what_is_below_them(module):
    allowed = ALLOWED.get(module, ())
    wrong = sorted(n for n in _imports(MODULES[module]) if not _within(n, allowed))
    assert not wrong, f"{module} may import only {list(allowed)} from featurekit, not {wrong}"


def test_general_imports_load_no_competition_module():
    code = (
        "import sys\n"
        "import featurekit, featurekit.evaluate, featurekit.models, featurekit.calibration\n"
        "import featurekit.extraction, featurekit.chunking, featurekit.preprocess\n"
        "import featurekit.io, featurekit.datasets, featurekit.report, featurekit.embeddings\n"
        "print(sorted(m for m in sys.modules if m.startswith('featurekit')))\n"
        "print('torch' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    loaded, torch = run.stdout.strip().splitlines()
    loaded = eval(loaded)  # a printed list of str
    assert not [m for m in loaded if _within(m, APPLICATION)], loaded
    assert "featurekit.encoder" not in loaded and torch == "False"


def test_old_import_paths_still_work():
    from featurekit import datasets, io, recipes, submission, synthetic
    from featurekit.competition import ingest, schema
    from featurekit.competition import recipes as competition_recipes
    from featurekit.competition import submission as competition_submission
    from featurekit.competition import synthetic as competition_synthetic
    from featurekit.io import competition

    assert io.ingest_competition is ingest.ingest_competition is competition.ingest_competition
    assert synthetic.make_competition is competition_synthetic.make_competition
    assert datasets.make_competition is competition_synthetic.make_competition
    assert datasets.ACTIVITIES is schema.ACTIVITIES is submission.ACTIVITIES
    assert submission.write_submission is competition_submission.write_submission
    assert recipes.baseline_competition is competition_recipes.baseline_competition


def test_every_module_has_a_row():
    missing = [m for m in MODULES if m != "featurekit" and _layer(m) is None]
    assert not missing, f"give {missing} a row in LAYERS and in the README's diagram"


@pytest.mark.parametrize("module", [m for m in MODULES if m != "featurekit"])
def test_imports_run_down_the_rows(module):
    rank = _layer(module)
    names = list(LAYERS)
    wrong = sorted(
        f"{target} ({names[_layer(target)]})"
        for target in {_resolve(n) for n in _imports(MODULES[module])}
        if target != "featurekit"  # the package root: __version__ and lazy exports
        and not _within(target, COMPAT.get(module, ()))
        and _layer(target) is not None
        and _layer(target) > rank
    )
    assert not wrong, f"{module} ({names[rank]}) imports from a row above it: {wrong}"


def _readme_rows() -> dict[str, str]:
    """The README's layering diagram: {row label: the text of its lines}."""
    text = README.read_text(encoding="utf-8")
    block = text[text.index("Imports run downwards only") :].split("```")[1]
    rows: dict[str, str] = {}
    label = None
    for line in block.splitlines():
        if not line.strip() or line.lstrip().startswith("─"):
            continue
        if not line[0].isspace():
            label, _, line = line.partition(" ")
        rows[label] = rows.get(label, "") + " " + line
    return rows


def test_readme_diagram_has_the_rows_of_the_code():
    rows = _readme_rows()
    assert list(rows) == list(reversed(LAYERS)), list(rows)
    missing = []
    for label, modules in LAYERS.items():
        for module in modules:
            if module in SHIMS:
                continue
            short = module.removeprefix("featurekit.")
            if (PACKAGE / short.replace(".", "/")).is_dir():
                short += "/"
            if not re.search(rf"(?<![\w/]){re.escape(short)}(?!\w)", rows[label]):
                missing.append(f"{short} in the {label} row")
    assert not missing, f"the README's diagram lacks {missing}"
