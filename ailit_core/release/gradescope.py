"""The Gradescope release: ``autograder.zip`` for a Gradescope programming assignment.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once to build the image,
and for every submission runs ``run_autograder`` with the student's files in
``/autograder/submission``; it reads ``/autograder/results/results.json``. The zip holds::

    setup.sh, run_autograder        (at its root, as Gradescope requires)
    requirements.txt                what grading this assignment imports, with ailit's version ranges
    requirements-torch.txt          torch/torchvision from the CPU wheel index (only if needed)
    warm/<module>.py                the released stub, graded once by setup.sh to build cached fixtures
    ailit_core/                     the grading engine, unchanged
    autograder/pytest.ini, autograder/<id>/   the hidden suite

``run_autograder`` grades with ``ailit_core.grade`` (``python -m ailit_core.release.gradescope_run``),
so Gradescope gives the points, messages and visibilities that ``ailit grade`` writes.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from ailit_core import paths
from ailit_core.assignments import Assignment
from ailit_core.release import hidden
from ailit_core.release.files import release_files
from ailit_core.release.requirements import TORCH_CPU_INDEX, requirements, requirements_text

# Fixed timestamp: the same sources give a byte-identical zip.
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
ROOT_ENV = "AILIT_GRADESCOPE_ROOT"
PYTHON_ENV = "AILIT_PYTHON"


def package_files() -> list[Path]:
    """Every file of the ``ailit_core`` package, relative to the project root."""
    package = Path(__file__).resolve().parent.parent
    return sorted(p.relative_to(package.parent) for p in package.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


WARM_DIR = "warm"


def setup_sh(assignment: Assignment, has_torch: bool) -> str:
    torch = (f'python3 -m pip install --no-cache-dir --index-url {TORCH_CPU_INDEX} -r requirements-torch.txt\n'
             if has_torch else "")
    return f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
# CPU wheels for torch: the image has no GPU and the CUDA wheels are several GB.
set -euo pipefail
cd "${{{ROOT_ENV}:-/autograder}}/source" 2>/dev/null || cd "$(dirname "${{BASH_SOURCE[0]}}")"
# Newer images mark the system Python as externally managed (PEP 668); this image is ours.
export PIP_BREAK_SYSTEM_PACKAGES=1
if ! python3 -m pip --version >/dev/null 2>&1; then
  apt-get update && apt-get install -y --no-install-recommends python3 python3-pip
fi
{torch}python3 -m pip install --no-cache-dir -r requirements.txt
# Make this folder's ailit_core importable by every python3 process, whatever its environment.
echo "$PWD" > "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/ailit-autograder.pth"
# Grade the released stub once so the hidden tests' cached fixtures (generated datasets, tiny
# models) are built into the image rather than in every submission's run. Best effort.
AILIT_ROOT="$PWD" MPLBACKEND=Agg python3 -m ailit_core.release.gradescope_run --assignment {assignment.id} \\
  --submission {WARM_DIR} --results "${{TMPDIR:-/tmp}}/ailit-warm-results.json" || true
"""


def run_autograder(assignment: Assignment) -> str:
    return f"""#!/usr/bin/env bash
# Gradescope runs this for every submission. {ROOT_ENV} replaces /autograder (tests use it);
# {PYTHON_ENV} replaces python3.
set -euo pipefail
root="${{{ROOT_ENV}:-/autograder}}"
export AILIT_ROOT="$root/source"
export PYTHONPATH="$root/source${{PYTHONPATH:+:$PYTHONPATH}}"
export PYTHONDONTWRITEBYTECODE=1
export MPLBACKEND=Agg
cd "$root/source"
exec "${{{PYTHON_ENV}:-python3}}" -m ailit_core.release.gradescope_run --assignment {assignment.id} \\
  --submission "$root/submission" --results "$root/results/results.json"
"""


def zip_members(assignment: Assignment) -> dict[str, tuple[bytes, bool]]:
    """Archive name -> (content, executable)."""
    pypi, torch_cpu = requirements(assignment)
    members = {
        "setup.sh": (setup_sh(assignment, bool(torch_cpu)).encode(), True),
        f"{WARM_DIR}/{assignment.filename}": (release_files(assignment)[assignment.filename], False),
        "run_autograder": (run_autograder(assignment).encode(), True),
        "requirements.txt": (requirements_text(pypi, f"Grading {assignment.id} (written by `ailit release --format gradescope`)").encode(), False),
    }
    if torch_cpu:
        members["requirements-torch.txt"] = (requirements_text(
            torch_cpu, f"Installed from {TORCH_CPU_INDEX} by setup.sh").encode(), False)
    root = Path(__file__).resolve().parent.parent.parent
    for rel in package_files():
        members[rel.as_posix()] = ((root / rel).read_bytes(), False)
    for rel in hidden.suite_files(assignment):
        members[f"autograder/{rel.as_posix()}"] = ((paths.autograder_dir() / rel).read_bytes(), False)
    return members


def write_autograder_zip(assignment: Assignment, target: Path) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, (data, executable) in sorted(zip_members(assignment).items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            mode = 0o755 if executable else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return target
