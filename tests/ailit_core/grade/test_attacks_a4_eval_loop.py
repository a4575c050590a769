"""The attack classes of the adversarial catalogue (``catalogue.py``, a1), adapted to a4_eval_loop
and graded in one batch with the bare stub and the reference: every attack scores 0, the reference
100, every submission gets its row.

Each attack is the released a4 stub plus the attack; where the attack needs answers to lie about,
its functions return plausible but wrong values and leave the model in the wrong mode, so any point
it earns would be a lie that worked. The generic attacks on the grading machinery (a transient
trace patch of pytest's reports, the results writer found with gc, a malformed reply on every
socket, exfiltrating what the process can see into a failure message) are a1's own code, taken
from ``catalogue.attacks``.
"""

from __future__ import annotations

import textwrap

import pytest

from ailit_core import assignments, grade
from ailit_core.release.files import release_files
from tests.ailit_core.grade import catalogue
from tests.ailit_core.grade.test_sandbox import available_modes

ASSIGNMENT = "a4_eval_loop"
MODULE = "eval_loop.py"
FUTURE = "from __future__ import annotations\n"
LIMITS = dict(timeout_s=60, test_timeout_s=20)

# A tensor that equals anything and answers comparisons and losses from the caller's locals.
LYING_TENSOR = """
    import sys
    import torch

    def _peek(*names):
        frame = sys._getframe(1)
        while frame is not None:  # the grader's locals, if they were in this process
            for name in names:
                if name in frame.f_locals:
                    return frame.f_locals[name]
            frame = frame.f_back
        return None

    class _Liar(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            name = getattr(func, "__name__", "")
            if name in ("allclose", "equal", "isclose", "eq", "__eq__", "__bool__"):
                return True
            if name in ("cross_entropy", "item", "__float__"):
                found = _peek("expected", "want", "naive")
                return found if isinstance(found, float) else 0.0
            return super().__torch_function__(func, types, args, kwargs)

    def _lie(shape=(1,)):
        return torch.zeros(shape).as_subclass(_Liar)

    def evaluate(model, loader, device, criterion=None):
        model.train(not model.training)  # the wrong mode: points here could only come from the lies
        found = _peek("expected")
        if isinstance(found, dict):
            return found
        return {"accuracy": _lie(), "loss": _lie(), "per_class_accuracy": _lie((4,)),
                "confusion_matrix": _lie((4, 4)).long(), "num_samples": _lie()}

    def train_model(model, criterion, optimizer, scheduler, dataloaders, num_epochs, device):
        keys = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc")
        return model, [{k: _lie() for k in keys} for _ in range(num_epochs)]

    def load_for_eval(path, model, device):
        return model.train()
"""

# The hidden suite's oracles, looked for wherever this process could see them.
CALL_ORACLES = """
    import gc, sys

    def _oracle(name):
        for module in list(sys.modules.values()):
            if hasattr(module, name):
                return getattr(module, name)
        for obj in gc.get_objects():
            if getattr(obj, "__name__", None) == name:
                return obj
        raise NotImplementedError(f"no {name} here")

    def evaluate(model, loader, device, criterion=None):
        import torch
        X = torch.cat([x for x, _ in loader])
        y = torch.cat([t for _, t in loader])
        return _oracle("oracle_evaluate")(model, X, y, criterion)

    def train_model(model, criterion, optimizer, scheduler, dataloaders, num_epochs, device):
        return _oracle("Scenario")

    def load_for_eval(path, model, device):
        return _oracle("trained_state")
"""

# torch's and numpy's comparisons rewritten to say "equal" (the comparisons are made elsewhere).
CODE_OBJECT_REWRITE = """
    import math
    import numpy as np
    import numpy.testing
    import torch
    import torch.testing

    def _yes(*args, **kwargs):
        return True

    for _target in (np.allclose, np.array_equal, np.isclose, torch.testing.assert_close,
                    numpy.testing.assert_allclose, torch.Tensor.__eq__, torch.equal, torch.allclose, math.isclose):
        try:
            _target.__code__ = _yes.__code__
        except (AttributeError, TypeError, ValueError):
            pass
    for _name in ("equal", "allclose", "isclose"):
        try:
            setattr(torch, _name, _yes)
        except (AttributeError, TypeError):
            pass

    def evaluate(model, loader, device, criterion=None):
        model.train(not model.training)
        return {"accuracy": 0.0, "loss": 0.0, "per_class_accuracy": [0.0] * 4,
                "confusion_matrix": torch.zeros(4, 4, dtype=torch.int64), "num_samples": 0}
"""

EXPECTED = {
    "stub": {"graded", "unchanged_stub"}, "lying_tensor": {"graded"}, "call_oracles": {"graded"},
    "code_object_rewrite": {"graded"}, "exfiltrate_test_data": {"graded"},
    # pytest is not importable in the student's process in every mode: then the import fails
    "transient_trace_patch": {"graded", "import_error"}, "gc_results_writer": {"graded"},
    "malformed_reply": {"tampered"}, "honest": {"graded"},
}


def stub() -> str:
    return release_files(assignments.get(ASSIGNMENT))[MODULE].decode("utf-8")


def with_attack(prefix: str = "", suffix: str = "") -> str:
    """The stub with attack code run at import (after the ``from __future__`` line) and definitions
    that replace the stub's functions (at the end)."""
    head, sep, rest = stub().partition(FUTURE)
    return head + sep + textwrap.dedent(prefix) + "\n" + rest + "\n" + textwrap.dedent(suffix)


def a1_parts(name: str) -> tuple[str, str]:
    """The import-time code and the trailing definitions of one of a1's attacks (``catalogue.attacks``),
    without a1's stub."""
    text = catalogue.attacks({"out": "/nonexistent", "port": 9, "marker": "unused"})[name][catalogue.MODULE]
    head, sep, rest = catalogue.stub_source().partition(FUTURE)
    at = text.find("\n" + rest + "\n", len(head + sep))
    assert text.startswith(head + sep) and at >= 0, f"a1's {name} is not the stub with code added"
    return text[len(head + sep):at], text[at + len(rest) + 2:]


def exfiltrating_evaluate() -> str:
    """a1's exfiltration (gc objects and frame locals raised in the message), as ``evaluate``."""
    _, suffix = a1_parts("exfiltrate_test_data")
    assert "def sigmoid(x):" in suffix
    return suffix.replace("def sigmoid(x):", "def evaluate(model, loader, device, criterion=None):")


def submissions() -> dict[str, str]:
    return {
        "stub": stub(),
        "lying_tensor": with_attack(suffix=LYING_TENSOR),
        "call_oracles": with_attack(suffix=CALL_ORACLES),
        "code_object_rewrite": with_attack(suffix=CODE_OBJECT_REWRITE),
        "exfiltrate_test_data": with_attack(suffix=exfiltrating_evaluate()),
        **{name: with_attack(prefix=a1_parts(name)[0]) for name in
           ("transient_trace_patch", "gc_results_writer", "malformed_reply")},
        "honest": assignments.get(ASSIGNMENT).solution_path.read_text(encoding="utf-8"),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("a4-attacks")
    subs, out = folder / "subs", folder / "out"
    for student, text in submissions().items():
        (subs / student).mkdir(parents=True)
        (subs / student / MODULE).write_text(text, encoding="utf-8")
    results = grade.main(submissions_dir=subs, assignment_id=ASSIGNMENT, out=out, quiet=True, jobs=2,
                         mode=available_modes()[0], **LIMITS)
    return {r.student: r for r in results}


def test_every_attack_scores_zero_and_the_batch_completes(graded):
    assert sorted(graded) == sorted(EXPECTED), "the batch is incomplete"
    scored = {s: (r.score, r.status, r.message[:300]) for s, r in graded.items() if s != "honest" and r.score != 0}
    assert not scored, f"attacks that scored: {scored}"
    assert graded["honest"].score == 100, f"the honest submission in the batch: {graded['honest'].message[:300]}"
    unexpected = {s: (r.status, r.message[:300]) for s, r in graded.items() if r.status not in EXPECTED[s]}
    assert not unexpected, f"attacks with an unexpected status: {unexpected}"
    assert all(r.max_score == 100 for r in graded.values())


def test_nothing_of_the_tests_leaks_into_feedback(graded):
    messages = [t["message"] for t in graded["exfiltrate_test_data"].tests
                if t["name"].startswith("test_evaluate_uses_eval_mode")]
    assert messages and all("LEAK:" in m for m in messages), messages
    assert not any("oracle" in m or "expected" in m or "a4_support" in m for m in messages), messages
