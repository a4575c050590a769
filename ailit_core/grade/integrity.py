"""Noticing a submission that rewires the grading machinery from inside the test process.

Student code runs in the same interpreter as pytest and the hidden tests (that is what makes warm,
fast grading possible), so it can reach them. Before the module is imported we fingerprint what a
forged pass would have to change: the modules and classes of pytest and pluggy, this package, the
hidden test modules and their helpers, builtins, ``os``/``json`` (the results channel uses them),
numpy's and torch's functions, the hook implementations registered with pytest, and the collected
test items. After the import and before every report leaves the process we compare; any difference
means the run is not credited.

A fingerprint is object identity (``id``), plus, for functions, the identity of their code,
defaults and closure contents, so ``f.__code__ = ...`` is seen too. Values that pytest itself
changes while it runs are listed in ``VOLATILE``. What this cannot see: changes made below Python
(ctypes writing memory), in-place mutation of objects that are not fingerprinted, and a submission
that defeats this check itself first (the check's own functions are fingerprinted, which raises the
bar but proves nothing). GRADING.md "Threat model" says so to the instructor.
"""

from __future__ import annotations

import sys
import types

# Whole-module watch: every attribute, and the dict of every class the module defines.
OWNED_PREFIXES = ("_pytest", "pytest", "pluggy", "ailit_core")
# Callables only (their settings and flags may change legitimately).
CALLABLE_MODULES = (
    "builtins", "os", "posix", "json", "json.encoder", "json.decoder", "math", "operator",
    "numpy", "numpy.testing", "numpy.linalg", "numpy.core.numeric", "numpy._core.numeric",
    "torch", "torch.testing", "torch.nn.functional",
)
CLASSES = (("torch", "Tensor"), ("torch.nn", "Module"), ("numpy", "ndarray"))

# (module, attribute) pairs pytest rebinds during a run.
VOLATILE = {
    ("_pytest.assertion.util", "_reprcompare"),
    ("_pytest.assertion.util", "_assertion_pass"),
    ("_pytest.assertion.util", "_config"),
    ("_pytest.assertion.rewrite", "_reprcompare"),
    ("_pytest.runner", "_current_item"),
    ("_pytest.logging", "_current_item"),
    ("_pytest.capture", "_current_item"),
}
VOLATILE_NAMES = {"__warningregistry__", "__builtins__", "_", "__loader__", "__spec__"}


def _function_print(fn) -> tuple:
    cells = ()
    if fn.__closure__:
        contents = []
        for cell in fn.__closure__:
            try:
                contents.append(id(cell.cell_contents))
            except ValueError:
                contents.append(None)
        cells = tuple(contents)
    return (id(fn), id(fn.__code__), id(fn.__defaults__), id(fn.__kwdefaults__), cells)


def _value_print(value) -> tuple:
    if isinstance(value, types.FunctionType):
        return _function_print(value)
    if isinstance(value, (classmethod, staticmethod)):
        inner = value.__func__
        return (id(value),) + (_function_print(inner) if isinstance(inner, types.FunctionType) else (id(inner),))
    if isinstance(value, property):
        return (id(value), id(value.fget), id(value.fset), id(value.fdel))
    if isinstance(value, types.MethodType):
        return (id(value.__func__), id(value.__self__))
    return (id(value),)


def _class_prints(prefix: str, cls, out: dict) -> None:
    try:
        items = list(vars(cls).items())
    except TypeError:
        return
    for name, value in items:
        if name in ("__dict__", "__weakref__", "__doc__", "__abstractmethods__", "_abc_impl"):
            continue
        out[f"{prefix}.{name}"] = _value_print(value)


class Snapshot:
    def __init__(self, prints: dict):
        self.prints = prints

    @classmethod
    def take(cls, *, extra_modules=(), objects=(), config=None, items=()) -> "Snapshot":
        return cls(_collect(extra_modules, objects, config, items))

    def changes(self, *, extra_modules=(), objects=(), config=None, items=()) -> list[str]:
        """What differs from the snapshot: changed or removed entries (additions are allowed)."""
        now = _collect(extra_modules, objects, config, items)
        changed = []
        for key, value in self.prints.items():
            if key not in now:
                changed.append(f"{key} was removed")
            elif now[key] != value:
                changed.append(f"{key} was replaced")
        return changed


def _watched_modules(extra_modules) -> list[tuple[str, types.ModuleType, bool]]:
    watched = []
    for name, module in list(sys.modules.items()):
        if module is None:
            continue
        if name.split(".")[0] in OWNED_PREFIXES or name in extra_modules:
            watched.append((name, module, True))
        elif name in CALLABLE_MODULES:
            watched.append((name, module, False))
    return watched


def _collect(extra_modules, objects, config, items) -> dict:
    prints: dict = {}
    for name, module in ((n, sys.modules.get(n)) for n in (*OWNED_PREFIXES, *extra_modules, *CALLABLE_MODULES)):
        if module is not None:
            prints[f"sys.modules[{name!r}]"] = (id(module),)
    for name, module, owned in _watched_modules(extra_modules):
        try:
            entries = list(vars(module).items())
        except TypeError:
            continue
        for attr, value in entries:
            if attr in VOLATILE_NAMES or (name, attr) in VOLATILE:
                continue
            if not owned and not callable(value):
                continue
            prints[f"{name}.{attr}"] = _value_print(value)
            if owned and isinstance(value, type) and getattr(value, "__module__", None) == name:
                _class_prints(f"{name}.{attr}", value, prints)
    for module_name, class_name in CLASSES:
        cls = getattr(sys.modules.get(module_name), class_name, None)
        if isinstance(cls, type):
            _class_prints(f"{module_name}.{class_name}", cls, prints)
    for index, obj in enumerate(objects):
        prints[f"grader object {index} type"] = (id(type(obj)),)
        for attr, value in vars(obj).items():
            prints[f"grader object {index}.{attr}"] = _value_print(value)
    if config is not None:
        _hook_prints(config, prints)
    for item in items:
        prints[f"test {item.nodeid}"] = (id(type(item)), id(getattr(item, "obj", None)),
                                        "runtest" in vars(item))
        fn = getattr(item, "obj", None)
        if isinstance(fn, types.FunctionType):
            prints[f"test {item.nodeid} function"] = _function_print(fn)
    return prints


def _hook_prints(config, prints: dict) -> None:
    pm = config.pluginmanager
    prints["pytest plugins"] = tuple(sorted(name for name, plugin in pm.list_name_plugin() if plugin is not None))
    for name in dir(config.hook):
        if not name.startswith("pytest_"):
            continue
        caller = getattr(config.hook, name)
        try:
            impls = caller.get_hookimpls()
        except AttributeError:
            continue
        prints[f"hook {name}"] = tuple((id(impl.function), impl.hookwrapper, getattr(impl, "wrapper", False))
                                       for impl in impls)
