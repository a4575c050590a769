"""Noticing a submission that rewires the grading machinery from inside the test process.

Student code runs in the same interpreter as pytest and the hidden tests (that is what makes warm,
fast grading possible), so it can reach them. Before the module is imported we fingerprint what a
forged pass would have to change: the modules and classes of pytest and pluggy, this package, the
hidden test modules and their helpers, builtins, ``os``/``json`` (the results channel uses them),
numpy's and torch's functions, the hook implementations registered with pytest, and the collected
test items. After the import and before every passing report leaves the process we compare; any
difference means the run is not credited.

A fingerprint is object identity, plus, for functions, the identity of their code, defaults and
closure contents, so ``f.__code__ = ...`` is seen too. The snapshot keeps the live namespaces and
compares by ``is``, so a check costs a few milliseconds. Additions are allowed (libraries add
attributes lazily); values pytest itself rebinds while it runs are listed in ``VOLATILE``.

What this cannot see: changes made below Python (ctypes writing memory), in-place mutation of
objects that are not fingerprinted, and a submission that defeats this check itself first (the
check's own functions are fingerprinted, which raises the bar but proves nothing). GRADING.md
"Threat model" says so to the instructor.
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
SKIPPED_CLASS_ATTRS = {"__dict__", "__weakref__", "__doc__", "__abstractmethods__", "_abc_impl"}


def _inner(value):
    """The objects whose identity a value's behaviour depends on, beyond the value itself."""
    if isinstance(value, types.FunctionType):
        cells = ()
        if value.__closure__:
            contents = []
            for cell in value.__closure__:
                try:
                    contents.append(cell.cell_contents)
                except ValueError:
                    contents.append(None)
            cells = tuple(contents)
        return (value.__code__, value.__defaults__, value.__kwdefaults__, *cells)
    if isinstance(value, (classmethod, staticmethod)):
        inner = value.__func__
        return (inner, *_inner(inner)) if isinstance(inner, types.FunctionType) else (inner,)
    if isinstance(value, property):
        return (value.fget, value.fset, value.fdel)
    if isinstance(value, types.MethodType):
        return (value.__func__, value.__self__)
    return None


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


class Snapshot:
    def __init__(self):
        self.entries: list[tuple[str, object, str, object, tuple | None]] = []
        self.functions: list[tuple] = []
        self.hooks: list[tuple[str, object, tuple]] = []
        self.plugins: tuple = ()
        self.config = None
        self.items: list[tuple[object, object, type, bool]] = []

    @classmethod
    def take(cls, *, extra_modules=(), objects=(), config=None, items=()) -> "Snapshot":
        snap = cls()
        snap._take(tuple(extra_modules), objects, config, items)
        return snap

    def _watch(self, label: str, mapping, key: str, value) -> None:
        if isinstance(value, types.FunctionType) and not value.__closure__:
            # the common case, kept apart so that a check is a tight loop of identity tests
            self.functions.append((mapping, key, value, value.__code__, value.__defaults__, value.__kwdefaults__,
                                   label))
        else:
            self.entries.append((label, mapping, key, value, _inner(value)))

    def _take(self, extra_modules, objects, config, items) -> None:
        for name in (*OWNED_PREFIXES, *extra_modules, *CALLABLE_MODULES):
            if sys.modules.get(name) is not None:
                self._watch(f"sys.modules[{name!r}]", sys.modules, name, sys.modules[name])
        for name, module in list(sys.modules.items()):
            if module is None:
                continue
            owned = name.split(".")[0] in OWNED_PREFIXES or name in extra_modules
            if not owned and name not in CALLABLE_MODULES:
                continue
            namespace = getattr(module, "__dict__", None)
            if not isinstance(namespace, dict):
                continue
            for attr, value in list(namespace.items()):
                if attr in VOLATILE_NAMES or (name, attr) in VOLATILE:
                    continue
                if not owned and not callable(value):
                    continue
                self._watch(f"{name}.{attr}", namespace, attr, value)
                if owned and isinstance(value, type) and getattr(value, "__module__", None) == name:
                    self._watch_class(f"{name}.{attr}", value)
        for module_name, class_name in CLASSES:
            klass = getattr(sys.modules.get(module_name), class_name, None)
            if isinstance(klass, type):
                self._watch_class(f"{module_name}.{class_name}", klass)
        for index, obj in enumerate(objects):
            namespace = vars(obj)
            for attr, value in list(namespace.items()):
                self._watch(f"grader object {index}.{attr}", namespace, attr, value)
        if config is not None:
            self.config = config
            self.plugins = self._plugins(config)
            for name in dir(config.hook):
                caller = getattr(config.hook, name, None)
                if name.startswith("pytest_") and hasattr(caller, "get_hookimpls"):
                    self.hooks.append((name, caller, self._impls(caller)))
        self.items = [(item, getattr(item, "obj", None), type(item), "runtest" in vars(item)) for item in items]
        for item in items:
            function = getattr(item, "obj", None)
            if isinstance(function, types.FunctionType):
                self._watch(f"test {item.nodeid}", {"f": function}, "f", function)

    def _watch_class(self, label: str, klass: type) -> None:
        namespace = klass.__dict__  # a live view: later changes show through it
        for attr, value in list(namespace.items()):
            if attr not in SKIPPED_CLASS_ATTRS:
                self._watch(f"{label}.{attr}", namespace, attr, value)

    @staticmethod
    def _plugins(config) -> tuple:
        return tuple(sorted(name for name, plugin in config.pluginmanager.list_name_plugin() if plugin is not None))

    @staticmethod
    def _impls(caller) -> tuple:
        return tuple((impl.function, impl.hookwrapper, getattr(impl, "wrapper", False)) for impl in caller.get_hookimpls())

    def changes(self, **_ignored) -> list[str]:
        """What differs from the snapshot: replaced or removed entries, new hooks or plugins."""
        changed = []
        for label, mapping, key, value, inner in self.entries:
            try:
                current = mapping[key]
            except KeyError:
                changed.append(f"{label} was removed")
                continue
            if current is not value or (inner is not None and not _same(_inner(current), inner)):
                changed.append(f"{label} was replaced")
        for mapping, key, value, code, defaults, kwdefaults, label in self.functions:
            current = mapping.get(key, None)
            if current is None and key not in mapping:
                changed.append(f"{label} was removed")
            elif (current is not value or value.__code__ is not code or value.__defaults__ is not defaults
                  or value.__kwdefaults__ is not kwdefaults or value.__closure__):
                changed.append(f"{label} was replaced")
        if self.config is not None:
            if self._plugins(self.config) != self.plugins:
                changed.append("pytest plugins were added or removed")
            for name, caller, impls in self.hooks:
                now = self._impls(caller)
                if len(now) != len(impls) or any(a[0] is not b[0] or a[1:] != b[1:] for a, b in zip(now, impls)):
                    changed.append(f"hook {name} was changed")
        for item, obj, kind, own_runtest in self.items:
            if getattr(item, "obj", None) is not obj or type(item) is not kind or ("runtest" in vars(item)) != own_runtest:
                changed.append(f"test {item.nodeid} was changed")
        return changed
