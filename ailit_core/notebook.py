"""Grading a notebook with an assignment's hidden tests, from inside the notebook's own kernel.

nbgrader and otter-grader grade a notebook by running its cells, then test cells, in one Jupyter
kernel. ailit's hidden tests are pytest files written against a module (``xor_net.py``) and need
a module *file* (some load it in a fresh interpreter), so a test cell turns the notebook back into
that module and grades it with ``ailit_core.grade``, the engine behind ``ailit grade``: the same
tests in the same kind of child process, so the same points. The module is the notebook's code
cells in the order the kernel ran them (IPython's ``In`` history), without the grading cells. The
suite runs once per distinct module source; every test cell then reports its own test from that
run, so a notebook costs one hidden-suite run, as a ``.py`` submission does.

Hand-written rather than nbgrader/otter test code because both tools only know "a cell raised or
not": this keeps one set of tests, points and messages for every format.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterable

# Cells that belong to grading, not to the student's module: our own test cells and otter's
# injected/check cells. They never become part of the graded module.
GRADING_CELL = re.compile(
    r"ailit_core\.notebook|\bimport\s+otter\b|\bfrom\s+otter\b|\bgrader\.(check|check_all|export)\("
    r"|\bnotebook_\w+\(\)\.check\(")
FUTURE_IMPORT = re.compile(r"^from\s+__future__\s+import\s+.+$", re.MULTILINE)
NEEDS_SHELL = re.compile(r"\b(get_ipython|display)\b")
SHELL_PRELUDE = ("from ailit_core.notebook import graded_shell as get_ipython, graded_display as display"
                 "  # notebook magics do nothing when graded")
SUITE_IGNORED = {"__pycache__", ".pytest_cache"}  # as grade.suite.IGNORED (this module must import alone)
PUBLIC_TIMEOUT_S = 300


class NotebookGradingError(RuntimeError):
    """The notebook could not be graded at all (not a failed test): wrong environment or files."""


# ---------------------------------------------------------------------------------------------
# The notebook as a module


CELL_ERRORS = "_notebook_cell_errors"
# Defined at the top of every graded module: a cell that raises is recorded and reported, and the
# cells after it still run, as in a kernel. A name that a failed cell never defined then fails its
# tests with that cell named, instead of the whole module failing to import (0 points).
CELL_GUARD = f"""{CELL_ERRORS} = []


def _notebook_cell_failed(label, error):
    import sys
    text = f"{{label}} raised {{type(error).__name__}}: {{error}}"
    {CELL_ERRORS}.append(text)
    print(f"notebook {{text}}; the cells after it still ran / 该代码单元出错，其后的单元照常运行", file=sys.stderr)


def __getattr__(name):
    if name.startswith("__") or not {CELL_ERRORS}:
        raise AttributeError(f"module {{__name__!r}} has no attribute {{name!r}}")
    cells = "; ".join({CELL_ERRORS})
    raise AttributeError(
        f"{{name!r}} is not defined: notebook {{cells}} (fix that cell, then Restart & Run All) / "
        f"{{name!r}} 未定义：notebook {{cells}}（请修正该单元，然后从头重新运行）")
"""


def _multiline_string_lines(tree: ast.AST) -> set[int]:
    """Line numbers (1-based) that start inside a string literal: indenting them would change it."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Constant, ast.JoinedStr)) and getattr(node, "end_lineno", None) \
                and node.end_lineno > node.lineno and (isinstance(node, ast.JoinedStr) or isinstance(node.value, (str, bytes))):
            inside.update(range(node.lineno + 1, node.end_lineno + 1))
    return inside


def _guarded(text: str, label: str, future_flags: int) -> str:
    """The cell as module code: run, and if it raises, recorded as failed while the module goes on."""
    try:
        tree = compile(text, label, "exec", ast.PyCF_ONLY_AST | future_flags, dont_inherit=True)
    except SyntaxError as error:  # the cell cannot run at all; the rest of the module still can
        shown = "\n".join(f"#     {line}" for line in text.splitlines())
        return (f"# not run: {label} has a syntax error / 该单元有语法错误，未运行:\n{shown}\n"
                f"_notebook_cell_failed({label!r}, SyntaxError({f'{error.msg} (line {error.lineno})'!r}))")
    keep = _multiline_string_lines(tree)
    body = "\n".join(line if number in keep or not line.strip() else "    " + line
                     for number, line in enumerate(text.splitlines(), 1))
    return (f"try:\n{body}\n    pass\nexcept (Exception, SystemExit) as _notebook_error:\n"
            f"    _notebook_cell_failed({label!r}, _notebook_error)")


def module_source(cells: Iterable[str], *, first: int = 1, label: str = "code cell {n}") -> str:
    """The module a notebook's code cells make, in the order given (numbered from ``first``,
    named by ``label`` in messages).

    Grading cells are left out; a cell run twice with the same source counts once (re-running a
    cell while working must not run it twice at import); ``from __future__`` imports move to the
    top, where Python requires them. Code cells the student added are part of the module, as any
    top-level code in a ``.py`` submission is. Each cell runs guarded (``CELL_GUARD``): a scratch
    cell that raises, or does not even parse, is named in the feedback and does not stop the
    definitions in the other cells from being graded; later definitions win, as when the notebook
    runs top to bottom.
    """
    import __future__

    kept, seen, futures = [], set(), []
    for number, source in enumerate(cells, first):
        if not source or not source.strip() or GRADING_CELL.search(source) or source in seen:
            continue
        seen.add(source)
        futures += FUTURE_IMPORT.findall(source)
        kept.append((label.format(n=number), FUTURE_IMPORT.sub("", source).strip("\n")))
    header = list(dict.fromkeys(futures))
    flags = 0
    for line in header:
        for name in re.split(r"[\s,()]+", line.split(" import ", 1)[1]):
            feature = getattr(__future__, name, None)
            flags |= getattr(feature, "compiler_flag", 0)
    body = "\n\n".join(f"# --- notebook {name} ---\n{_guarded(text, name, flags)}" for name, text in kept)
    if NEEDS_SHELL.search(body):
        header.append(SHELL_PRELUDE)
    return "\n".join(header + ([""] if header else []) + [CELL_GUARD, body]) + "\n"


def module_from_history(cells: list[str]) -> str:
    """The module of a running kernel's ``In`` history; cells are named as Jupyter shows them."""
    return module_source(cells, first=0, label="cell In [{n}]")


def notebook_module(notebook) -> str:
    """The module a saved notebook (path or parsed node) makes: what its code cells define when run
    top to bottom; cells are named by their position among the notebook's code cells."""
    return module_source(notebook_cells(notebook))


def history(namespace: dict | None = None) -> list[str]:
    """The code cells the running kernel executed, in order (IPython's ``In``)."""
    cells = (namespace or {}).get("In")
    if cells is None:
        try:
            from IPython import get_ipython
        except ImportError:
            get_ipython = None
        shell = get_ipython() if get_ipython else None
        cells = shell.user_ns.get("In") if shell is not None else None
    if cells is None:
        raise NotebookGradingError(
            "no notebook history: run this cell inside Jupyter (an IPython kernel) / "
            "请在 Jupyter（IPython 内核）中运行此单元")
    return list(cells)


def notebook_cells(notebook) -> list[str]:
    """Code cells of a saved notebook (a path or a parsed nbformat node), magics translated the
    way IPython would run them."""
    if isinstance(notebook, (str, os.PathLike)):
        notebook = json.loads(Path(notebook).read_text(encoding="utf-8"))
    sources = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            sources.append("".join(source) if isinstance(source, list) else source)
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # no IPython: drop magic and shell lines rather than fail on their syntax
        return ["\n".join(l for l in s.splitlines() if not l.lstrip().startswith(("%", "!"))) for s in sources]
    manager = TransformerManager()
    return [manager.transform_cell(s) for s in sources]


class _GradedShell:
    """Stands in for IPython's shell when the notebook runs as a module: magics whose code is Python
    (``%time``, ``%%time``, ``%%capture``, ...) still run it once, so they never hide a definition;
    ``%%writefile`` writes its file; other magics and shell commands do nothing."""

    PYTHON_LINE_MAGICS = {"time"}
    PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}

    def run_line_magic(self, magic, line, *_args, **_kwargs):
        if magic in self.PYTHON_LINE_MAGICS:
            exec(compile(line, "<notebook magic>", "exec"), sys._getframe(1).f_globals)

    def run_cell_magic(self, magic, line, cell, *_args, **_kwargs):
        if magic in self.PYTHON_CELL_MAGICS:
            exec(compile(cell, "<notebook cell magic>", "exec"), sys._getframe(1).f_globals)
        elif magic == "writefile":
            args = line.split()
            append = "-a" in args or "--append" in args
            name = [a for a in args if not a.startswith("-")][-1]
            with open(name, "a" if append else "w", encoding="utf-8") as fh:
                fh.write(cell)

    def __getattr__(self, _name):
        return lambda *args, **kwargs: None


def graded_shell() -> _GradedShell:
    return _GradedShell()


def graded_display(*objects, **_kwargs) -> None:
    """``display`` outside Jupyter: nothing to show while grading."""


# ---------------------------------------------------------------------------------------------
# Finding the hidden tests


def suite_digest(autograder_dir: Path, assignment_id: str) -> str:
    """A fingerprint of an assignment's hidden suite (``grade.suite.HiddenSuite.digest``)."""
    from ailit_core.grade.suite import HiddenSuite

    return HiddenSuite(assignment_id, autograder_dir).digest()


def _suite_roots(assignment_id: str, start: Path) -> list[Path]:
    """Folders holding ``autograder/<id>/``: the notebook's folder and its parents first (a course
    folder or an otter autograder ships its own copy), then the installed project."""
    from ailit_core import paths

    found = [d for d in [start, *start.parents] if (d / "autograder" / assignment_id).is_dir()
             and (d / "autograder" / "pytest.ini").is_file()]
    installed = paths.project_root()
    if (installed / "autograder" / assignment_id).is_dir() and installed not in found:
        found.append(installed)
    return found


def hidden_root(assignment_id: str, digest: str | None = None, start: Path | None = None) -> Path:
    """The project root to grade with; with ``digest``, the first whose suite is exactly the one the
    notebook was released with (so a stray or student-supplied ``autograder/`` folder is not used)."""
    roots = _suite_roots(assignment_id, Path(start or Path.cwd()).resolve())
    for root in roots:
        if digest is None or suite_digest(root / "autograder", assignment_id) == digest:
            return root
    where = ", ".join(str(r / "autograder") for r in roots) or "none found"
    raise NotebookGradingError(
        f"hidden tests for {assignment_id} with fingerprint {digest} not found (looked at: {where}); "
        "grade inside the course folder that `ailit release` wrote, or release again / 找不到对应的隐藏测试")


# ---------------------------------------------------------------------------------------------
# Running tests


@contextlib.contextmanager
def _environ(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextlib.contextmanager
def _silenced():
    """Keep everything grading prints (warnings, child processes) out of the cell's output, down to
    the file descriptors: nbgrader scores a test cell 0 when it writes anything to stderr. Yields a
    list that holds the captured text once the block has finished."""
    import io
    import warnings

    captured: list[str] = []
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = [os.dup(1), os.dup(2)]
    buffer = io.StringIO()
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as log:
        try:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            with warnings.catch_warnings(), contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                warnings.simplefilter("ignore")
                yield captured
        finally:
            for stream in (sys.__stdout__, sys.__stderr__):
                with contextlib.suppress(Exception):
                    stream.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            log.seek(0)
            captured.append(buffer.getvalue() + log.read())


def _child_pythonpath() -> str:
    """PYTHONPATH that lets a child interpreter import this very ailit_core (a copy shipped next to
    the notebook is not installed)."""
    here = str(Path(__file__).resolve().parent.parent)
    rest = os.environ.get("PYTHONPATH", "")
    return here + (os.pathsep + rest if rest else "")


_HIDDEN_RUNS: dict[tuple[str, str, str], dict] = {}


def grade_source(assignment_id: str, source: str, root: Path) -> dict:
    """Gradescope-style results of ``source`` under the hidden tests in ``root/autograder``."""
    key = (assignment_id, str(root), hashlib.sha256(source.encode("utf-8")).hexdigest())
    if key not in _HIDDEN_RUNS:
        from ailit_core import assignments

        from ailit_core.grade.results import to_gradescope
        from ailit_core.grade.runner import run_hidden_tests

        assignment = assignments.get(assignment_id)
        with _environ(AILIT_ROOT=str(root), PYTHONPATH=_child_pythonpath()), _silenced() as log:
            try:
                result = run_hidden_tests(assignment, source.encode("utf-8"), student="notebook")
            except Exception as exc:  # noqa: BLE001 -- reported below with what the engine printed
                print(f"{type(exc).__name__}: {exc}")
                result = None
        if result is None or not result.tests:
            detail = result.message if result is not None else ""
            raise NotebookGradingError(f"grading did not produce results: {detail}\n{''.join(log)[-3000:]}")
        _HIDDEN_RUNS[key] = to_gradescope(result)
    return _HIDDEN_RUNS[key]


def check_hidden(assignment_id: str, test_name: str, namespace: dict | None = None, *,
                 digest: str | None = None) -> None:
    """Pass silently when hidden test ``test_name`` passes on this notebook; raise AssertionError
    with the test's feedback (what it checks, why it failed) otherwise."""
    __tracebackhide__ = True
    source = module_from_history(history(namespace))
    results = grade_source(assignment_id, source, hidden_root(assignment_id, digest))
    for test in results.get("tests", []):
        if test["name"] == test_name:
            if test["status"] != "passed":
                raise AssertionError(_feedback(test["output"], results))
            return
    raise AssertionError(_feedback(f"{test_name} did not run / 该测试未运行", results))


def _feedback(text: str, results: dict) -> str:
    overall = (results.get("output") or "").strip()
    return f"{text}\n\n{overall}".strip() if overall else text


_PUBLIC_RUNS: dict[str, dict[str, dict]] = {}


def public_results(assignment_id: str, source: str, files: Iterable[str], folder: Path | None = None) -> dict[str, dict]:
    """Outcome of every public test (by name) on ``source``: the public test files from ``folder``
    (the notebook's own folder by default) run by pytest in a child process, as a student's
    ``pytest`` would run them beside their module."""
    from ailit_core import assignments

    assignment = assignments.get(assignment_id)
    folder = Path(folder or Path.cwd())
    files = list(files)
    missing = [f for f in files if not (folder / f).is_file()]
    if missing:
        raise NotebookGradingError(
            f"public test file(s) {', '.join(missing)} not found next to the notebook in {folder} / 找不到公开测试文件")
    contents = {f: (folder / f).read_bytes() for f in files}
    key = hashlib.sha256(source.encode("utf-8") + b"".join(sorted(contents.values()))).hexdigest()
    if key not in _PUBLIC_RUNS:
        with tempfile.TemporaryDirectory(prefix="ailit-public-") as tmp:
            work = Path(tmp)
            for name, data in contents.items():
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                (work / name).write_bytes(data)
            (work / assignment.filename).write_text(source, encoding="utf-8")
            (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
            out = work / ".results.json"
            env = dict(os.environ, AILIT_IMPL=str(work / assignment.filename), PYTHONPATH=_child_pythonpath(),
                       PYTHONDONTWRITEBYTECODE="1", MPLBACKEND=os.environ.get("MPLBACKEND", "Agg"))
            cmd = [sys.executable, "-m", "pytest", ".", "-p", "ailit_core.grade.plugin", "--ailit-results",
                   str(out), "-q", "-p", "no:cacheprovider"]
            proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=PUBLIC_TIMEOUT_S)
            if not out.is_file():
                raise NotebookGradingError(f"the public tests did not run:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
            raw = json.loads(out.read_text(encoding="utf-8"))
        outcomes = {t["name"]: t for t in raw["tests"]}
        if not outcomes and raw.get("collection_errors"):  # e.g. the module fails to import
            message = "\n".join(e["message"] for e in raw["collection_errors"])
            outcomes = {"<collection>": {"name": "<collection>", "outcome": "failed", "message": message}}
        _PUBLIC_RUNS[key] = outcomes
    return _PUBLIC_RUNS[key]


def check_public(assignment_id: str, test_name: str, namespace: dict | None = None, *,
                 files: Iterable[str]) -> None:
    """Raise AssertionError with the message of public test ``test_name`` if it fails on this notebook."""
    __tracebackhide__ = True
    outcomes = public_results(assignment_id, module_from_history(history(namespace)), files)
    test = outcomes.get(test_name) or outcomes.get("<collection>")
    if test is None:
        raise AssertionError(f"no public test named {test_name} / 没有名为 {test_name} 的公开测试")
    if test["outcome"] != "passed":
        raise AssertionError(test["message"] or f"{test_name} failed")


def run_public_tests(assignment_id: str, namespace: dict | None = None, *, files: Iterable[str]) -> None:
    """Print every public test's outcome on this notebook; raise if any failed."""
    __tracebackhide__ = True
    outcomes = public_results(assignment_id, module_from_history(history(namespace)), files)
    failed = []
    for name, test in outcomes.items():
        ok = test["outcome"] == "passed"
        print(f"{'✓' if ok else '✗'} {name}" + ("" if ok else f": {test['message']}"))
        if not ok:
            failed.append(name)
    if failed:
        raise AssertionError(f"{len(failed)} public test(s) failed / 公开测试未通过: {', '.join(failed)}")
    print(f"all {len(outcomes)} public tests passed / 公开测试全部通过")
