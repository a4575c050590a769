"""``ailit release``: write student releases from the single source in ``solutions/``.

Formats (``--format``):

- ``files`` (default): regenerates ``assignments/<id>/`` (stub module, README, public tests);
- ``gradescope``: ``OUT/<id>/autograder.zip`` with ``setup.sh`` and ``run_autograder``;
- ``nbgrader``: an nbgrader course folder ``OUT/`` (``source/<id>/<id>.ipynb``, ``nbgrader_config.py``);
- ``otter``: ``OUT/<id>/<id>.ipynb``, an otter-assign master notebook, with the files it names;
- ``student``: ``OUT/<id>.zip``, the assignment as students install and run it outside this
  repository (the files release, ``requirements.txt``, the helper modules the public tests use).

Without ``-o``, the non-default formats write under ``dist/<format>/``.
"""

from __future__ import annotations

from pathlib import Path

from ailit_core import assignments, paths
from ailit_core.release.files import write_release

FORMATS = ("files", "gradescope", "nbgrader", "otter", "student")


def _files(chosen, out):
    written = []
    for assignment in chosen:
        target = Path(out) / assignment.id if out else assignment.release_dir
        written += write_release(assignment, target)
    return written


def _gradescope(chosen, out):
    from ailit_core.release.gradescope import write_autograder_zip

    return [write_autograder_zip(a, Path(out) / a.id / "autograder.zip") for a in chosen]


def _nbgrader(chosen, out, course_id=None):
    from ailit_core.release.nbgrader import write_course

    return write_course(chosen, Path(out), course_id)


def _otter(chosen, out):
    from ailit_core.release.otter import write_master

    written = []
    for assignment in chosen:
        written += write_master(assignment, Path(out) / assignment.id)
    return written


def _student(chosen, out):
    from ailit_core.release.student import write_student_zip

    return [write_student_zip(a, Path(out) / f"{a.id}.zip") for a in chosen]


WRITERS = {"files": _files, "gradescope": _gradescope, "nbgrader": _nbgrader, "otter": _otter, "student": _student}


def default_out(fmt: str) -> Path | None:
    return None if fmt == "files" else paths.project_root() / "dist" / fmt


def main(*, assignment_ids: list[str], out: Path | None = None, fmt: str = "files",
         course_id: str | None = None) -> list[Path]:
    """``course_id``: nbgrader's course id (default: the course folder's name)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown release format {fmt!r}; choose from: {', '.join(FORMATS)}")
    chosen = [assignments.get(i) for i in assignment_ids] if assignment_ids else assignments.landed()
    out = out if out is not None else default_out(fmt)
    if fmt == "nbgrader":
        return _nbgrader(chosen, out, course_id)
    return WRITERS[fmt](chosen, out)
