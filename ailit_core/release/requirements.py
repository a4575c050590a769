"""The Python packages grading an assignment needs, for the Gradescope and otter autograders, and
those a student needs for the assignment and its public tests (``student_requirements``).

Found by reading imports (``ast``; nothing is imported) in the reference solution, the hidden suite
and, transitively, the ``ailit_core`` modules they and the grading engine use, so a NumPy-only
assignment does not install torch. Version ranges come from ailit's declared dependencies
(``pyproject.toml``), so an autograder gets the versions the project is tested with.
torch and torchvision come from PyTorch's CPU wheel index: the CUDA wheels are several GB and the
autograders have no GPU.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
from pathlib import Path

from ailit_core.assignments import Assignment

TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH_PACKAGES = {"torch", "torchvision", "torchaudio"}
# Imported by every grading run whatever the assignment (the engine, its plugin, the loader).
ENGINE_MODULES = ("ailit_core.grade", "ailit_core.testing", "ailit_core.notebook")
ALWAYS = ("pytest", "tqdm")
OPTIONAL_GRADE_PARTS = ("dask",)  # subpackages of ailit_core.grade behind an optional extra
# Import name -> distribution name when they differ and the environment cannot tell us.
KNOWN_DISTRIBUTIONS = {"sklearn": "scikit-learn", "PIL": "pillow", "yaml": "pyyaml", "cv2": "opencv-python"}


def _package_root() -> Path:
    return Path(__file__).resolve().parent.parent


def _module_files(dotted: str) -> list[Path]:
    """The source file of an ``ailit_core`` module (a package's ``__init__.py``); [] if none."""
    base = _package_root().parent / Path(*dotted.split("."))
    if (base / "__init__.py").is_file():
        return [base / "__init__.py"]
    if base.with_suffix(".py").is_file():
        return [base.with_suffix(".py")]
    return []


def _optional(tree: ast.AST) -> set[int]:
    """ids of import nodes guarded by ``try: ... except ImportError`` (optional dependencies)."""
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                for h in node.handlers):
            guarded.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return guarded


def _inside_functions(tree: ast.AST) -> set[int]:
    """ids of the nodes inside function bodies (imported only when the function is called)."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inside.update(id(n) for n in ast.walk(node) if n is not node)
    return inside


def imported_modules(path: Path, *, lazy: bool = True) -> set[str]:
    """Modules ``path`` imports; ``lazy=False``: only those imported when the module itself is."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped = _optional(tree) | (set() if lazy else _inside_functions(tree))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def third_party_imports(roots: list[Path], engine: list[Path] = ()) -> set[str]:
    """Top-level names of the non-stdlib modules needed to run ``roots`` (every import, a test may
    call any function) and the ``engine`` files (what they import when imported). ``ailit_core``
    modules are followed: those a root imports count every import, since the root may call any of
    their functions; modules reached further down count their import-time imports only."""
    todo = [(p, True) for p in roots] + [(p, False) for p in engine]
    seen, found = set(), set()
    while todo:
        path, lazy = todo.pop()
        if (path, lazy) in seen:
            continue
        seen.add((path, lazy))
        is_root = any(path == r for r in roots)
        for name in imported_modules(path, lazy=lazy):
            top = name.split(".")[0]
            if top == "ailit_core":
                todo += [(f, is_root) for f in _module_files(name)]
            elif top not in sys.stdlib_module_names and top != "__future__":
                found.add(top)
    return found


def _requires() -> list[str]:
    """ailit's declared dependencies: the checkout's pyproject.toml, else the installed metadata."""
    pyproject = _package_root().parent / "pyproject.toml"
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = None
    if tomllib is not None and pyproject.is_file():
        return list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])
    try:
        return [r for r in importlib.metadata.requires("ailit") or [] if "extra ==" not in r]
    except importlib.metadata.PackageNotFoundError:
        return []


def _declared() -> dict[str, str]:
    """Normalised distribution name -> requirement line (e.g. ``numpy>=1.24``)."""
    declared = {}
    for line in _requires():
        requirement = line.split(";")[0].strip()
        name = re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0]
        declared[_normalise(name)] = requirement
    return declared


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.lru_cache(maxsize=1)
def _installed_distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()  # scans every installed package: once is enough


def _distribution(import_name: str) -> str:
    if import_name in KNOWN_DISTRIBUTIONS:
        return KNOWN_DISTRIBUTIONS[import_name]
    dists = _installed_distributions().get(import_name)
    return dists[0] if dists else import_name


def requirements(assignment: Assignment) -> tuple[list[str], list[str]]:
    """(requirements from PyPI, requirements from the PyTorch CPU index) for grading ``assignment``."""
    roots = [assignment.solution_path]
    roots += sorted(p for p in assignment.hidden_tests_dir.rglob("*.py") if "__pycache__" not in p.parts)
    engine = [f for module in ENGINE_MODULES for f in _module_files(module)]
    grade = _package_root().joinpath("grade")
    # The Dask executor is an optional extra (``ailit[dask]``) that an autograder never runs.
    engine += sorted(p for p in grade.rglob("*.py")
                     if "__pycache__" not in p.parts and p.relative_to(grade).parts[0] not in OPTIONAL_GRADE_PARTS)
    local = {p.stem for folder in (assignment.hidden_tests_dir, assignment.solution_dir) for p in folder.iterdir()
             if p.suffix == ".py" or (p / "__init__.py").is_file()}  # helper modules shipped beside the tests
    names = {_distribution(n) for n in third_party_imports(roots, engine) - local} | set(ALWAYS)
    declared = _declared()
    pypi, torch_cpu = [], []
    for dist in sorted(names, key=_normalise):
        line = declared.get(_normalise(dist), dist)
        (torch_cpu if _normalise(dist) in TORCH_PACKAGES else pypi).append(line)
    return pypi, torch_cpu


def requirements_text(lines: list[str], header: str) -> str:
    return "".join(f"# {h}\n" for h in header.splitlines()) + "".join(f"{line}\n" for line in lines)


def public_tests(assignment: Assignment) -> list[Path]:
    folder = assignment.solution_dir / "public_tests"
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def student_requirements(assignment: Assignment) -> tuple[list[str], list[str]]:
    """(needed, optional) requirement lines, with ailit's version ranges. Needed: what the public tests
    import (any of it may run) and what the module imports when imported; optional: what only some of
    the module's functions import (plots, progress bars of the ``python <module>.py`` demo)."""
    public = public_tests(assignment)
    needed = third_party_imports(public, [assignment.solution_path])
    everything = third_party_imports(public + [assignment.solution_path])
    declared = _declared()

    def lines(imports: set[str]) -> list[str]:
        names = {_distribution(n) for n in imports}
        return [declared.get(_normalise(d), d) for d in sorted(names, key=_normalise)]

    required = lines(needed | {"pytest"})
    optional = [line for line in lines(everything) if line not in required]
    return required, optional


def student_requirements_txt(assignment: Assignment) -> str:
    """requirements.txt of the student release."""
    required, optional = student_requirements(assignment)
    torch = any(_normalise(line).startswith("torch") for line in required)
    text = [f"# {assignment.id}: what the assignment and its public tests need.",
            "# Install / 安装:  python -m pip install -r requirements.txt"]
    if torch:
        text += [f"# No GPU? The CPU-only torch wheels are much smaller / 没有 GPU 时 CPU 版 torch 更小:",
                 f"#   python -m pip install -r requirements.txt --extra-index-url {TORCH_CPU_INDEX}"]
    text += required
    if optional:
        text += ["# Optional, for the demo of the module (plots, progress bars) / 可选（演示用）:"]
        text += [f"# {line}" for line in optional]
    return "\n".join(text) + "\n"
