"""Independent oracles for the a5 hidden tests, run in the trusted process (never shown to students).

- ``Oracle``: the by-hand pipeline computed here in float64 with brute-force span search, on the
  trusted side's own model or ``ScriptedQA``, plus the score of any character span (so a student's
  answer can be accepted when it ties the best one);
- ``check_result``: what is wrong with an ``extract_answer`` result, judged against an ``Oracle``;
- ``Oracle.searched_with(search)``: the answer a correct ``extract_answer`` gives when its span
  search is ``search`` (the student's own ``best_span``), so that a ``best_span`` mistake is charged
  in the ``best_span`` tests only, not again in every ``extract_answer`` test;
- ``Oracle.ranked(...)``: every distinct answer, best first, for the fallback pipeline's ``top_k``
  and ``handle_impossible_answer``;
- ``ScriptedQA``: a ``...ForQuestionAnswering`` stand-in whose logits the test chooses (boosts for
  given tokens, for question tokens, for [CLS]/[SEP]/padding), so that a mistake such as choosing a
  question token or only reading the first window gives a visibly wrong answer. The student's side
  gets the same model from the recipe ``a5_scripted_model``; this copy, with the trusted tokenizer,
  feeds the oracle.
"""

from __future__ import annotations

import numpy as np
import torch

from ailit_core.grade.recipes.a5 import scripted_qa_class

ScriptedQA = scripted_qa_class()


def encode(tokenizer, question, context, max_seq_len=384, doc_stride=128):
    return tokenizer(question, context, truncation="only_second", max_length=max_seq_len, stride=doc_stride,
                     return_overflowing_tokens=True, return_offsets_mapping=True, padding=True,
                     return_tensors="pt")


def softmax64(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max())
    return e / e.sum()


def brute_force_span(start_logits, end_logits, max_answer_len):
    """(s, e, score) maximising p_start[s] * p_end[e] over s <= e < s + max_answer_len, by loops."""
    ps, pe = softmax64(start_logits), softmax64(end_logits)
    best = (-1, -1, -1.0)
    for s in range(len(ps)):
        for e in range(s, min(len(pe), s + max_answer_len)):
            if ps[s] * pe[e] > best[2]:
                best = (s, e, float(ps[s] * pe[e]))
    return best


class Oracle:
    """The expected result of ``extract_answer`` for one (model, tokenizer, question, context, params)."""

    def __init__(self, model, tokenizer, question, context, max_answer_len=15, max_seq_len=384, doc_stride=128):
        self.context = context
        self.max_answer_len = max_answer_len
        enc = encode(tokenizer, question, context, max_seq_len, doc_stride)
        offsets = enc.pop("offset_mapping").tolist()
        enc.pop("overflow_to_sample_mapping", None)
        with torch.no_grad():
            out = model(**enc)
        self.windows = []  # (context token char offsets, p_start, p_end) per window
        self.logits = []  # (context start logits, context end logits, [CLS] start and end logits) per window
        for w in range(len(offsets)):
            ctx = [i for i, s in enumerate(enc.sequence_ids(w)) if s == 1]
            self.windows.append(([tuple(offsets[w][i]) for i in ctx],
                                 softmax64(out.start_logits[w, ctx].double().numpy()),
                                 softmax64(out.end_logits[w, ctx].double().numpy())))
            self.logits.append((out.start_logits[w, ctx].clone(), out.end_logits[w, ctx].clone(),
                                float(out.start_logits[w, 0]), float(out.end_logits[w, 0])))
        best = None
        for w, (offs, ps, pe) in enumerate(self.windows):
            s, e, score = brute_force_span(np.log(ps), np.log(pe), max_answer_len)
            if best is None or score > best[3]:
                best = (w, s, e, score)
        w, s, e, score = best
        offs = self.windows[w][0]
        self.window = w
        self.start, self.end, self.score = offs[s][0], offs[e][1], score
        self.answer = context[self.start:self.end]

    @property
    def num_windows(self):
        return len(self.windows)

    def as_dict(self):
        return {"answer": self.answer, "score": self.score, "start": self.start, "end": self.end}

    def score_of(self, start_char, end_char):
        """Best score of a span of whole context tokens covering exactly [start_char, end_char), or None."""
        best = None
        for offs, ps, pe in self.windows:
            starts = [i for i, o in enumerate(offs) if o[0] == start_char and o[1] > o[0]]
            ends = [i for i, o in enumerate(offs) if o[1] == end_char and o[1] > o[0]]
            for s in starts:
                for e in ends:
                    if s <= e < s + self.max_answer_len:
                        score = float(ps[s] * pe[e])
                        best = score if best is None else max(best, score)
        return best


    def searched_with(self, search):
        """{"answer", "score", "start", "end"} of a correct extract_answer whose span search is
        ``search(start_logits, end_logits, max_answer_len) -> (s, e, score)``, or None where that
        search fails or returns no usable token indices."""
        best = None
        for (offs, _, _), (start_logits, end_logits, _, _) in zip(self.windows, self.logits):
            try:
                s, e, score = search(start_logits, end_logits, self.max_answer_len)
                s, e, score = int(s), int(e), float(score)
            except Exception:  # noqa: BLE001 -- whatever the student's search does, there is no such answer
                return None
            if not (0 <= s < len(offs) and 0 <= e < len(offs)):
                return None
            if best is None or score > best["score"]:
                start, end = offs[s][0], offs[e][1]
                best = {"answer": self.context[start:end], "score": score, "start": start, "end": end}
        return best

    def ranked(self, handle_impossible=False):
        """Every distinct answer as {"answer", "score", "start", "end"}, best first: each character
        span with its best score over the windows (token spans s <= e < s + max_answer_len). With
        ``handle_impossible`` [CLS] joins each window's softmax and the empty answer (0, 0) scores
        p_start[CLS] * p_end[CLS] (the lowest over the windows, as the library's pipeline does)."""
        spans, null = {}, None
        for (offs, ps, pe), (start_logits, end_logits, cls_start, cls_end) in zip(self.windows, self.logits):
            if handle_impossible:
                ps = softmax64(np.concatenate([[cls_start], start_logits.double().numpy()]))
                pe = softmax64(np.concatenate([[cls_end], end_logits.double().numpy()]))
                null = float(ps[0] * pe[0]) if null is None else min(null, float(ps[0] * pe[0]))
                ps, pe = ps[1:], pe[1:]
            n = len(ps)
            scores = np.outer(ps, pe)
            allowed = np.triu(np.ones((n, n), dtype=bool)) & ~np.triu(np.ones((n, n), dtype=bool), self.max_answer_len)
            for s, e in zip(*np.nonzero(allowed)):
                chars = (offs[s][0], offs[e][1])
                spans[chars] = max(float(scores[s, e]), spans.get(chars, -1.0))
        if handle_impossible:
            spans[(0, 0)] = max(null, spans.get((0, 0), -1.0))
        answers = [{"answer": self.context[a:b], "score": score, "start": a, "end": b}
                   for (a, b), score in spans.items()]
        return sorted(answers, key=lambda found: -found["score"])


def same_answer(result, expected, *, score_rtol=1e-4):
    """Whether ``result`` is ``expected``'s span, text and score (None when either is no answer)."""
    try:
        return (int(result["start"]), int(result["end"])) == (expected["start"], expected["end"]) and \
            result["answer"] == expected["answer"] and \
            bool(np.isclose(float(result["score"]), expected["score"], rtol=score_rtol, atol=1e-9))
    except (TypeError, KeyError, ValueError):
        return False


def check_result(result, oracle: Oracle, *, score_rtol=1e-4, what="extract_answer"):
    """An error message if ``result`` is not an optimal answer with the right score, else None."""
    if not isinstance(result, dict) or set(result) != {"answer", "score", "start", "end"}:
        keys = sorted(result) if isinstance(result, dict) else type(result).__name__
        return (f"{what} must return a dict with keys answer, score, start, end; got {keys} / "
                f"{what} 应返回恰好含 answer、score、start、end 四个键的 dict")
    try:
        start, end, score = int(result["start"]), int(result["end"]), float(result["score"])
    except (TypeError, ValueError):
        return f"start/end must be ints and score a float, got {result!r} / start、end 应为整数，score 应为浮点数"
    context = oracle.context
    if context[start:end] != result["answer"]:
        return (f"context[start:end] is {context[start:end]!r} but answer is {result['answer']!r}: the answer must "
                f"be the exact slice of the context (map tokens to characters with offset_mapping) / "
                f"answer 必须等于 context[start:end]")
    own = oracle.score_of(start, end)
    if own is None:
        return (f"answer {result['answer']!r} ({start}, {end}) is not a span of context tokens within "
                f"max_answer_len={oracle.max_answer_len}; expected {oracle.answer!r} ({oracle.start}, {oracle.end}) / "
                f"答案不是一段合法的上下文 token 区间")
    if own < oracle.score * (1 - 1e-5):
        return (f"answer {result['answer']!r} ({start}, {end}) is not the best span: expected {oracle.answer!r} "
                f"({oracle.start}, {oracle.end}) / 没有找到分数最高的答案区间")
    if not np.isclose(score, own, rtol=score_rtol, atol=1e-9):
        return (f"score {score:.6g} for {result['answer']!r}, expected {own:.6g}: the score is "
                f"softmax(start)[s] * softmax(end)[e] with the softmax over the context tokens of the window only / "
                f"分数应为仅对该窗口上下文 token 做 softmax 后的 start 概率 × end 概率")
    return None
