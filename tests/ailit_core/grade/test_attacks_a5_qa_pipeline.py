"""a5's adversarial catalogue: the released a5 stub plus each attack class of the a1 catalogue
(``catalogue.py``), adapted where it aims at a5's tests, in one batch beside an honest submission.

Every attack scores 0 with one row each, the reference in the same batch keeps 100: a tensor
subclass that answers comparisons and reads its caller's frames (the codec sends plain tensors),
calling the hidden suite's oracles (not in the student's process), code-object rewrites of numpy's
comparisons, a transient trace-hook patch of pytest's reports, the results writer looked for with
gc, a malformed reply on every socket (``tampered``), and test data exfiltrated into a failure
message (nothing of the tests is there to find).
"""

import textwrap

import pytest

from ailit_core import assignments, grade
from ailit_core.release.files import release_files
from tests.ailit_core.grade import catalogue
from tests.ailit_core.grade.test_adversarial import Listener, sysv_segments
from tests.ailit_core.grade.test_sandbox import available_modes

pytestmark = pytest.mark.slow

A5 = assignments.get("a5_qa_pipeline")
LIMITS = dict(timeout_s=150, test_timeout_s=60, memory_mb=3072)  # transformers and a model in each server

# Attacks on the grading machinery itself: the same code as a1's (inserted at the top of the module).
FROM_A1 = ("transient_trace_patch", "gc_results_writer", "code_object_rewrite", "malformed_reply")

LYING_TENSOR = """
import sys
import torch

class _Liar(torch.Tensor):
    # equal and close to anything; otherwise the caller's expected values, read from its frames
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("allclose", "equal", "isclose", "__eq__", "cross_entropy"):
            return True
        frame = sys._getframe(1)
        while frame is not None:
            for key in ("best", "expected", "own", "oracle"):
                if key in frame.f_locals:
                    return frame.f_locals[key]
            frame = frame.f_back
        return super().__torch_function__(func, types, args, kwargs or {})

def best_span(start_logits, end_logits, max_answer_len=15):
    zero = torch.zeros(()).as_subclass(_Liar)
    return zero, zero, zero

def extract_answer(model, tokenizer, question, context, max_answer_len=15, max_seq_len=384, doc_stride=128):
    zero = torch.zeros(()).as_subclass(_Liar)
    return {"answer": context[:1], "score": zero, "start": zero, "end": zero}
"""

CALL_ORACLES = """
import sys

def _oracle_module():
    for name, module in list(sys.modules.items()):
        if name in ("a5_oracle", "conftest") or name.startswith("test_hidden"):
            if hasattr(module, "Oracle") or hasattr(module, "brute_force_span"):
                return module
    raise NotImplementedError("no oracle here")

def best_span(start_logits, end_logits, max_answer_len=15):
    return tuple(_oracle_module().brute_force_span(start_logits, end_logits, max_answer_len))

def extract_answer(model, tokenizer, question, context, max_answer_len=15, max_seq_len=384, doc_stride=128):
    return _oracle_module().Oracle(model, tokenizer, question, context, max_answer_len, max_seq_len,
                                   doc_stride).as_dict()

def answer(qa, question, context):
    module = _oracle_module()
    return module.LIBRARY_QA(question=question, context=context)
"""

EXFILTRATE = """
import gc, sys

def extract_answer(model, tokenizer, question, context, max_answer_len=15, max_seq_len=384, doc_stride=128):
    found = []
    for obj in gc.get_objects():  # the tests' oracles, fixtures and expected answers, if they were here
        name = getattr(obj, "__name__", "")
        if isinstance(name, str) and ("oracle" in name.lower() or name.startswith("test_")):
            found.append(name)
    frame = sys._getframe()
    while frame is not None:
        found += [k for k in frame.f_locals if k not in ("found", "frame", "obj", "name")]
        frame = frame.f_back
    raise ValueError("LEAK:" + ",".join(found))
"""


def a1_attack_code(name: str) -> str:
    """The code an a1 attack puts at the top of the stub (its module minus a1's stub)."""
    stub = catalogue.stub_source()
    head, sep, rest = stub.partition("from __future__ import annotations\n")
    text = catalogue.attacks({"out": "/nonexistent", "port": 9, "marker": "unused"})[name][catalogue.MODULE]
    assert text.startswith(head + sep) and text.endswith("\n" + rest + "\n"), name
    return text[len(head + sep):len(text) - len(rest) - 2]


def submissions() -> dict[str, str]:
    stub = release_files(A5)[A5.filename].decode("utf-8")
    head, sep, rest = stub.partition("from __future__ import annotations\n")
    out = {"stub": stub}
    for name in FROM_A1:
        out[name] = head + sep + a1_attack_code(name) + "\n" + rest
    for name, code in (("lying_tensor", LYING_TENSOR), ("call_oracles", CALL_ORACLES),
                       ("exfiltrate_test_data", EXFILTRATE)):
        out[name] = stub + "\n" + textwrap.dedent(code)
    out["honest"] = A5.solution_path.read_text(encoding="utf-8")
    return out


EXPECTED = {"stub": {"unchanged_stub"}, "malformed_reply": {"tampered"}}


def test_a5_attacks_score_zero_and_the_batch_completes(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    for student, text in submissions().items():
        (subs / student).mkdir(parents=True)
        (subs / student / A5.filename).write_text(text, encoding="utf-8")
    listener = Listener()
    segments = sysv_segments()
    results = grade.main(submissions_dir=subs, assignment_id=A5.id, out=out, quiet=True, jobs=2,
                         mode=available_modes()[0], **LIMITS)
    listener.close()
    got = {r.student: r for r in results}
    assert sorted(got) == sorted(submissions()), "the batch is incomplete"
    wrong = {s: (r.score, r.status, r.message[:300]) for s, r in got.items() if r.score != 0 and s != "honest"}
    assert not wrong, f"attacks that scored: {wrong}"
    honest = got["honest"]
    assert honest.score == 100 and honest.max_score == 100, (
        f"the honest submission in the batch: {honest.status} {honest.message[:300]} "
        f"{[(t['name'], t['message'][:200]) for t in honest.tests if t['outcome'] != 'passed']}")
    unexpected = {s: (r.status, r.message[:300]) for s, r in got.items() if r.status not in EXPECTED.get(s, {"graded"})}
    assert not unexpected, f"attacks with an unexpected status: {unexpected}"
    # nothing of the hidden tests is in the student's process to leak into feedback
    leak = next(t["message"] for t in got["exfiltrate_test_data"].tests
                if t["name"] == "test_extract_answer_matches_pipeline")
    assert "LEAK:" in leak, leak
    assert not any(word in leak for word in ("oracle", "Oracle", "expected", "library_qa")), leak
    assert listener.connections == 0, "a submission reached the network"
    assert sysv_segments() - segments == set()
