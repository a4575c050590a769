"""The student release: ``OUT/<id>.zip``, an assignment that installs and runs on its own.

The zip unpacks to one folder ``<id>/`` holding the plain-files release (stub, bilingual README,
public tests, ``pytest.ini``, ``requirements.txt`` with only this assignment's dependencies) and
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
from ailit_core.release.requirements import _module_files, _package_root, imported_modules, public_tests

ZIP_DATE = (2024, 1, 1, 0, 0, 0)  # fixed: the same sources give a byte-identical zip
# Parts of ailit_core that grade or build releases: they hold or reach hidden tests and solutions.
GRADING_MODULES = ("ailit_core.grade", "ailit_core.mutate", "ailit_core.release", "ailit_core.notebook",
                   "ailit_core.verify", "ailit_core.cli", "ailit_core.__main__", "ailit_core.assignments",
                   "ailit_core.paths")
# Subpackages that import their modules by name at run time (``ailit_core.data.get_datasets("mnist")``):
# shipped whole once any part of them is needed.
WHOLE_SUBPACKAGES = ("ailit_core.data", "ailit_core.models")


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


def zip_members(assignment: Assignment) -> dict[str, bytes]:
    """Path inside ``<id>/`` -> content."""
    members = dict(release_files(assignment))
    root = _package_root().parent
    for path in helper_modules(public_tests(assignment) + [assignment.solution_path]):
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
