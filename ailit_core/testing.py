"""How a test obtains the implementation under test, without the test file changing.

- grading and ``ailit verify`` set ``AILIT_IMPL`` to the module file to test (a submission's copy,
  the reference solution or the released stub);
- otherwise a public test imports the module that sits next to it, i.e. the student's own file in
  the assignment folder.

Hidden tests do not use this module: they reach the student's code through
``ailit_core.grade.remote.module_fixture`` (a proxy to the module in its own sandboxed process).
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
from pathlib import Path
from types import ModuleType

ENV_VAR = "AILIT_IMPL"


class ImplementationNotFound(ImportError):
    pass


def _import_file(module_name: str, path: Path) -> ModuleType:
    cached = sys.modules.get(module_name)
    if cached is not None and Path(getattr(cached, "__file__", "") or "").resolve() == path.resolve():
        return cached
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImplementationNotFound(f"cannot import {path} / 无法导入 {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered before exec so pickling, dataclasses and `import <module>` inside it all work.
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def implementation(module_name: str, *, beside: str | os.PathLike | None = None) -> ModuleType:
    """The module under test.

    ``beside`` is the test file asking (defaults to the caller's ``__file__``); a public test finds
    the student's module in the same folder.
    """
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        path = Path(explicit)
        if path.is_dir():
            path = path / f"{module_name}.py"
        if not path.is_file():
            raise ImplementationNotFound(f"{ENV_VAR}={explicit!r}: no file {path} / 找不到文件 {path}")
        return _import_file(module_name, path)

    if beside is None:
        beside = inspect.stack()[1].filename
    candidate = Path(beside).resolve().parent / f"{module_name}.py"
    if candidate.is_file():
        return _import_file(module_name, candidate)
    raise ImplementationNotFound(
        f"no {module_name}.py next to {Path(beside).name}. Put your {module_name}.py in this folder, "
        f"or set {ENV_VAR}=/path/to/{module_name}.py. / 找不到 {module_name}.py：请把它放在测试文件旁边，"
        f"或设置环境变量 {ENV_VAR}。"
    )
