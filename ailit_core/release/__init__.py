"""``ailit release``: write student releases from the single source in ``solutions/``.

``--format files`` (default) regenerates ``assignments/<id>/``; other formats are added by the
interoperability work (gradescope, nbgrader, otter).
"""

from __future__ import annotations

from pathlib import Path

from ailit_core import assignments
from ailit_core.release.files import write_release

FORMATS = ("files",)


def main(*, assignment_ids: list[str], out: Path | None = None, fmt: str = "files") -> list[Path]:
    if fmt not in FORMATS:
        raise ValueError(f"unknown release format {fmt!r}; choose from: {', '.join(FORMATS)}")
    chosen = [assignments.get(i) for i in assignment_ids] if assignment_ids else assignments.landed()
    written = []
    for assignment in chosen:
        target = Path(out) / assignment.id if out else assignment.release_dir
        written += write_release(assignment, target)
    return written
