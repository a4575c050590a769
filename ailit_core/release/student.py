"""The student release: ``OUT/<id>.zip``, an assignment that installs and runs on its own.

The zip unpacks to one folder ``<id>/`` holding the plain-files release (stub, bilingual README,
public tests, ``pytest.ini``), ``requirements.txt`` with only this assignment's dependencies, and
``ailit_core/`` cut down to the helper modules the stub and the public tests import (for every
assignment ``ailit_core.testing``, which finds the student's module next to the tests). Public tests
import ``ailit_core.testing`` under the same name here, in the repository, and in the notebook
releases, so one set of public tests serves every format.

What may never enter the zip: a solution region, the hidden suite, the grading engine. The helper
modules are found by reading imports (``ast``, nothing imported); one that is part of grading
(``GRADING_MODULES``) stops the release with an error rather than being shipped.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from ailit_core.assignments import Assignment
from ailit_core.release.files import release_files
from ailit_core.release.requirements import (
    TORCH_CPU_INDEX, _declared, _distribution, _module_files, _normalise, _package_root, imported_modules,
    third_party_imports,
)

ZIP_DATE = (2024, 1, 1, 0, 0, 0)  # fixed: the same sources give a byte-identical zip
# Parts of ailit_core that grade or build releases: they hold or reach hidden tests and solutions.
GRADING_MODULES = ("ailit_core.grade", "ailit_core.mutate", "ailit_core.release", "ailit_core.notebook", "ailit_core.verify",
                   "ailit_core.cli", "ailit_core.__main__", "ailit_core.assignments", "ailit_core.paths")
# Subpackages that import their modules by name at run time (``ailit_core.data.get_datasets("mnist")``):
# shipped whole once any part of them is needed.
WHOLE_SUBPACKAGES = ("ailit_core.data", "ailit_core.models")
ALWAYS = ("pytest",)


class StudentReleaseError(ValueError):
    pass


def _dotted(path: Path) -> str:
    rel = path.relative_to(_package_root().parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _is_grading(dotted: str) -> bool:
    return any(dotted == g or dotted.startswith(g + ".") for g in GRADING_MODULES)


def helper_modules(roots: list[Path]) -> list[Path]:
    """The ``ailit_core`` files ``roots`` need, every import followed (a test or the stub's demo may
    call any function), with the ``__init__.py`` of every package on the way."""
    package = _package_root()
    todo, found = list(roots), set()
    while todo:
        path = todo.pop()
        for name in imported_modules(path, lazy=True):
            if name.split(".")[0] != "ailit_core":
                continue
            parts = name.split(".")
            wanted = [f for i in range(1, len(parts) + 1) for f in _module_files(".".join(parts[:i]))]
            for sub in WHOLE_SUBPACKAGES:
                if name == sub or name.startswith(sub + "."):
                    folder = package.parent / Path(*sub.split("."))
                    wanted += sorted(p for p in folder.glob("*.py"))
            for f in wanted:
                if f not in found:
                    if _is_grading(_dotted(f)):
                        raise StudentReleaseError(
                            f"{path.name} imports {name}, which is grading code and never goes to students")
                    found.add(f)
                    todo.append(f)
    return sorted(found)


def _public_tests(assignment: Assignment) -> list[Path]:
    folder = assignment.solution_dir / "public_tests"
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def requirements(assignment: Assignment) -> tuple[list[str], list[str]]:
    """(needed, optional) requirement lines, with ailit's version ranges. Needed: what the public tests
    import (any of it may run) and what the module imports when imported; optional: what only some of
    the module's functions import (plots, progress bars of the ``python <module>.py`` demo)."""
    public = _public_tests(assignment)
    needed = third_party_imports(public, [assignment.solution_path])
    everything = third_party_imports(public + [assignment.solution_path])
    declared = _declared()

    def lines(imports: set[str]) -> list[str]:
        names = {_distribution(n) for n in imports}
        return [declared.get(_normalise(d), d) for d in sorted(names, key=_normalise)]

    required = lines(needed | set(ALWAYS))
    optional = [line for line in lines(everything) if line not in required]
    return required, optional


def requirements_txt(assignment: Assignment) -> str:
    required, optional = requirements(assignment)
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


def zip_members(assignment: Assignment) -> dict[str, bytes]:
    """Path inside ``<id>/`` -> content."""
    members = dict(release_files(assignment))
    members["requirements.txt"] = requirements_txt(assignment).encode("utf-8")
    root = _package_root().parent
    for path in helper_modules(_public_tests(assignment) + [assignment.solution_path]):
        members[path.relative_to(root).as_posix()] = path.read_bytes()
    return members


def write_student_zip(assignment: Assignment, target: Path) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(zip_members(assignment).items()):
            info = zipfile.ZipInfo(f"{assignment.id}/{name}", date_time=ZIP_DATE)
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return target
