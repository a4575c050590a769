"""Fingerprints notice replaced functions, swapped code, changed classes and new pytest plugins."""

import types

import pytest

from ailit_core.grade import integrity


@pytest.fixture
def fake_module(monkeypatch):
    import sys

    module = types.ModuleType("ailit_core._integrity_probe")

    def helper(x):
        return x

    class Report:
        outcome = "failed"

        def finish(self):
            return self.outcome

    module.helper, module.Report, module.CONSTANT = helper, Report, [1, 2]
    Report.__module__ = module.__name__
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


def test_unchanged_is_clean(fake_module):
    snap = integrity.Snapshot.take()
    assert snap.changes() == []


def test_additions_are_allowed(fake_module):
    snap = integrity.Snapshot.take()
    fake_module.new_name = lambda: None
    assert snap.changes() == []


def test_replaced_function_and_swapped_code_are_seen(fake_module):
    snap = integrity.Snapshot.take()
    fake_module.helper.__code__ = (lambda x: 42).__code__
    assert any("helper" in c for c in snap.changes())
    snap = integrity.Snapshot.take()
    fake_module.helper = lambda x: 0
    assert any("helper was replaced" in c for c in snap.changes())


def test_class_attributes_and_removals_are_seen(fake_module):
    snap = integrity.Snapshot.take()
    fake_module.Report.finish = lambda self: "passed"
    del fake_module.CONSTANT
    changes = snap.changes()
    assert any("Report.finish" in c for c in changes) and any("CONSTANT was removed" in c for c in changes)


def test_numpy_comparisons_are_watched(monkeypatch):
    import numpy as np

    snap = integrity.Snapshot.take()
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    assert any("numpy.allclose" in c for c in snap.changes())


def test_grader_objects_are_watched():
    class Holder:
        pass

    holder = Holder()
    holder.send = print
    snap = integrity.Snapshot.take(objects=(holder,))
    holder.send = len
    assert any("grader object 0.send" in c for c in snap.changes())
