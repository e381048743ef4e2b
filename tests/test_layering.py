"""Imports run one way: the general library below, the competition application on top.

The layering drawn in the README's "Layout" section, checked two ways: by reading every
``import`` of the package (ast, so imports inside functions count too), and by importing the
general modules in a fresh interpreter and looking at what got loaded.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "featurekit"

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
