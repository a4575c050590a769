"""Attacks on the a3_resnet_stem hidden suite: each is the released stub (every function raises
NotImplementedError, so an honest grade is 0) plus an attack, graded in one batch with the
reference (``honest``), which must keep 100. Every attack must score 0 and the batch must complete
(one row each).

The attack classes are those of the a1 catalogue (``catalogue.py``), adapted to this suite: a tensor
subclass that answers ``allclose``/``equal``/``cross_entropy`` from the caller's locals, the hidden
suite's oracles looked up in ``sys.modules``, code-object rewrites of torch's and NumPy's
comparisons, a transient ``sys.settrace`` patch of pytest's reports, the results writer found with
``gc``, a malformed reply on every socket, and test data exfiltrated into a failure message. The
attacks that need no a3 names are taken from the a1 catalogue as they are.
"""

from __future__ import annotations

import csv
import textwrap

import pytest

from ailit_core import assignments, grade
from ailit_core.release.files import release_files
from tests.ailit_core.grade import catalogue
from tests.ailit_core.grade.test_sandbox import available_modes

pytestmark = pytest.mark.slow  # a whole grading batch, the reference's training run included (~50 s)

ASSIGNMENT = "a3_resnet_stem"
MODULE = "resnet_stem.py"
FUTURE = "from __future__ import annotations\n"
# Generous for the reference's training run on a busy machine; the attacks fail fast.
LIMITS = dict(timeout_s=240, test_timeout_s=90)
REUSED = ("transient_trace_patch", "gc_results_writer", "malformed_reply")
EXPECTED = {"malformed_reply": {"tampered"}}  # every other attack: graded, 0 points


def a1_attack(name: str) -> str:
    """The code an a1 catalogue attack runs at import (it names nothing of a1)."""
    a1 = catalogue.attacks({"out": "/nonexistent", "port": 9, "marker": "unused"})[name][catalogue.MODULE]
    head, sep, rest = catalogue.stub_source().partition(FUTURE)
    start, tail = len(head + sep), "\n" + rest + "\n"
    assert a1.startswith(head + sep) and a1.endswith(tail), f"{name} is no longer an import-time attack"
    return a1[start:len(a1) - len(tail)]


LYING_TENSOR = """
import sys, torch
from torch import nn

def _caller_value(names):
    frame = sys._getframe(2)
    while frame is not None:  # the caller's expected values, if they were in this process
        for name in names:
            if name in frame.f_locals:
                return frame.f_locals[name]
        frame = frame.f_back
    return None

class _Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("allclose", "equal", "isclose", "__eq__"):
            return True
        if name == "cross_entropy":
            found = _caller_value(("want_loss", "expected"))
            return torch.tensor(found if isinstance(found, float) else 0.0)
        want = _caller_value(("want", "expected"))
        if isinstance(want, torch.Tensor):
            return want
        with torch._C.DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))

def _lie(shape):
    return torch.zeros(shape).as_subclass(_Liar)

class _Net(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.classes = classes
    def forward(self, x):
        return _lie((x.shape[0], self.classes))

def build_mnist_resnet18(num_classes=10):
    return _Net(num_classes)

def build_cifar_resnet18(num_classes=10, small_stem=False):
    return _Net(num_classes)

class _Gray(nn.Conv2d):
    def forward(self, x):
        return _lie(tuple(x.shape))

def grayscale_conv1(conv):
    return _Gray(1, conv.out_channels, conv.kernel_size)

def mnist_transforms(train):
    return lambda image: _lie((1, 28, 28))

def cifar_transforms(train):
    return lambda image: _lie((3, 32, 32))

def train_one_epoch(net, loader, criterion, optimizer, device):
    return _lie(())
"""

CALL_ORACLES = """
import sys

def _oracle(name):
    for mod_name, mod in list(sys.modules.items()):
        if (mod_name.startswith("test_hidden") or mod_name == "a3_support") and hasattr(mod, name):
            return getattr(mod, name)
    raise NotImplementedError("no oracle here")

def build_mnist_resnet18(num_classes=10):
    return _oracle("oracle_resnet18")(1, num_classes)

def build_cifar_resnet18(num_classes=10, small_stem=False):
    return _oracle("oracle_resnet18")(3, num_classes, small_stem)

class EarlyStopping:
    def __init__(self, patience=10, min_delta=1e-4):
        self._oracle = _oracle("OracleStopper")(patience, min_delta)
    def __getattr__(self, name):
        return getattr(self._oracle, name)
    def step(self, loss):
        return self._oracle.step(loss)
"""

TORCH_REWRITE = """
import torch, torch.testing
def _yes(*args, **kwargs):
    return True
for _name in ("allclose", "equal", "isclose"):
    setattr(torch, _name, _yes)
    setattr(torch.Tensor, _name, _yes)
try:
    torch.testing.assert_close.__code__ = (lambda *a, **k: None).__code__
except (AttributeError, TypeError, ValueError):
    pass
"""

EXFILTRATE = """
import gc, sys

def grayscale_conv1(conv):
    found = []
    for obj in gc.get_objects():  # the tests' locals, constants and oracles, if they were here
        name = getattr(obj, "__name__", "")
        if isinstance(name, str) and ("oracle" in name.lower() or name.startswith("test_")):
            found.append(name)
    frame = sys._getframe()
    while frame is not None:
        found += [k for k in frame.f_locals if k not in ("found", "frame", "obj", "name", "conv")]
        frame = frame.f_back
    raise ValueError("LEAK:" + ",".join(found))
"""


def stub_source() -> str:
    return release_files(assignments.get(ASSIGNMENT))[MODULE].decode("utf-8")


def with_attack(prefix: str = "", suffix: str = "") -> str:
    """The stub with attack code run at import (after its ``from __future__`` line) and/or
    definitions that replace some of its functions (at the end)."""
    head, sep, rest = stub_source().partition(FUTURE)
    if not sep:
        head, rest = "", stub_source()
    return head + sep + textwrap.dedent(prefix) + "\n" + rest + "\n" + textwrap.dedent(suffix)


def submissions() -> dict[str, str]:
    out = {name: with_attack(prefix=a1_attack(name)) for name in REUSED}
    out.update({
        "lying_tensor": with_attack(suffix=LYING_TENSOR),
        "call_oracles": with_attack(suffix=CALL_ORACLES),
        "torch_rewrite": with_attack(prefix=TORCH_REWRITE + a1_attack("code_object_rewrite")),
        "exfiltrate_test_data": with_attack(suffix=EXFILTRATE),
        "honest": assignments.get(ASSIGNMENT).solution_path.read_text(encoding="utf-8"),
    })
    return out


def test_every_attack_on_a3_scores_zero(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    sources = submissions()
    for student, text in sources.items():
        (subs / student).mkdir(parents=True)
        (subs / student / MODULE).write_text(text, encoding="utf-8")
    results = grade.main(submissions_dir=subs, assignment_id=ASSIGNMENT, out=out, quiet=True, jobs=2,
                         mode=available_modes()[0], **LIMITS)
    got = {r.student: r for r in results}
    assert sorted(got) == sorted(sources), "the batch is incomplete"
    assert got["honest"].score == 100, f"the honest submission: {got['honest'].status} {got['honest'].message[:300]}"
    scored = {s: (r.score, r.status, r.message[:300]) for s, r in got.items() if s != "honest" and r.score != 0}
    assert not scored, f"attacks that scored: {scored}"
    unexpected = {s: (r.status, r.message[:300]) for s, r in got.items()
                  if r.status not in EXPECTED.get(s, {"graded"})}
    assert not unexpected, f"attacks with an unexpected status: {unexpected}"
    with open(out / "grades.csv", newline="", encoding="utf-8-sig") as fh:
        rows = {row["student"]: row for row in csv.DictReader(fh)}
    assert sorted(rows) == sorted(sources), "one gradebook row per submission"
    assert all(row["score"] == "0" for s, row in rows.items() if s != "honest")
    # nothing of the hidden tests is in the student's process to leak into feedback
    leaks = [t["message"] for t in got["exfiltrate_test_data"].tests if "LEAK:" in (t.get("message") or "")]
    assert leaks, "the exfiltrating submission's failure messages were not shown"
    for leak in leaks:
        lowered = leak.lower()
        assert "oracle" not in lowered and "want" not in lowered and "expected" not in lowered, leak[:500]


@pytest.mark.parametrize("name", REUSED + ("code_object_rewrite",))
def test_reused_attacks_are_import_time_code(name):
    code = a1_attack(name)
    assert code.strip() and "sigmoid" not in code and "xor" not in code.lower()
