"""Objects a hidden test needs on the student's side, built there from a recipe (an allow-list).

A test cannot send a model, a DataLoader or an optimizer across the boundary (only plain data
crosses), so it names a recipe and sends its plain arguments; the student server builds the
object and the test gets a handle to it (``remote.build(name, ...)``). Recipes are deliberately
small: anything clever would be code a test relies on inside the process the student controls.

``common`` holds what every suite may use; an assignment's own recipes live in a module of its
own here (``a3``, ``a4``, ``a5``...), registered with ``@recipe`` under a unique name.
"""

from __future__ import annotations

import importlib
import pkgutil

RECIPES: dict = {}


class Keep:
    """A value the server sends as a handle even when it is data (a probe tensor must stay there)."""

    def __init__(self, value):
        self.value = value


def recipe(func):
    if func.__name__ in RECIPES:
        raise ValueError(f"two recipes named {func.__name__!r}")
    RECIPES[func.__name__] = func
    return func


def load_all() -> dict:
    """Every recipe module of this package, imported (their heavy imports stay inside the recipes)."""
    if not _loaded:
        for info in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{info.name}")
        _loaded.append(True)
    return RECIPES


_loaded: list = []
