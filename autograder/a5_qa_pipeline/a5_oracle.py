"""Independent oracles and instruments for the a5 hidden tests (never shown to students).

- ``Oracle``: the by-hand pipeline computed here in float64 with brute-force span search, plus the
  score of any character span (so a student's answer can be accepted when it ties the best one);
- ``OracleQA``: the oracle behind the library pipeline's call interface, where transformers has no
  "question-answering" pipeline (5.3 and later);
- ``ScriptedQA``: a stand-in ``...ForQuestionAnswering`` model whose logits the test chooses
  (boosts for given token ids, for question tokens, for [CLS]/[SEP]/padding), so that a mistake
  such as choosing a question token or only reading the first window gives a visibly wrong answer;
- ``no_network``: every socket connection or DNS lookup raises ``NetworkAttempt`` (a
  BaseException, so library code that retries on ``Exception`` cannot swallow it or wait).
"""

from __future__ import annotations

import contextlib
import socket

import numpy as np
import torch
from torch import nn


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
        for w in range(len(offsets)):
            ctx = [i for i, s in enumerate(enc.sequence_ids(w)) if s == 1]
            self.windows.append(([tuple(offsets[w][i]) for i in ctx],
                                 softmax64(out.start_logits[w, ctx].double().numpy()),
                                 softmax64(out.end_logits[w, ctx].double().numpy())))
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


class OracleQA:
    """``qa(question=..., context=..., **params)`` -> the oracle's answer dict, like the library's pipeline
    (which also raises ValueError for an empty question or context)."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer = model, tokenizer

    def __call__(self, question=None, context=None, *, max_answer_len=15, max_seq_len=384, doc_stride=128,
                 **ignored):
        for name, value in (("question", question), ("context", context)):
            if not value:
                raise ValueError(f"`{name}` cannot be empty / {name} 不能为空")
        return Oracle(self.model, self.tokenizer, question, context, max_answer_len, max_seq_len,
                      doc_stride).as_dict()


class ScriptedQA(nn.Module):
    """A model whose start/end logits are a fixed random value per token id plus chosen boosts.

    Position-independent, so a token has the same logits in every window; question tokens are those
    between the first [CLS] and the first [SEP] of a row (found from input_ids, so it works whether or
    not the caller passes token_type_ids).
    """

    def __init__(self, tokenizer, start_boost=None, end_boost=None, *, question_boost=0.0, special_boost=0.0,
                 seed=0, scale=1.0):
        super().__init__()
        from transformers import BertConfig

        vocab = len(tokenizer)
        self.config = BertConfig(vocab_size=vocab, max_position_embeddings=512)  # for code that reads model.config
        g = torch.Generator().manual_seed(seed)
        base_start = torch.randn(vocab, generator=g) * scale
        base_end = torch.randn(vocab, generator=g) * scale
        for token, boost in (start_boost or {}).items():
            base_start[tokenizer.convert_tokens_to_ids(token)] += boost
        for token, boost in (end_boost or {}).items():
            base_end[tokenizer.convert_tokens_to_ids(token)] += boost
        self.register_buffer("base_start", base_start)
        self.register_buffer("base_end", base_end)
        self.anchor = nn.Parameter(torch.zeros(1))  # so that model.parameters() / .device work
        self.cls_id, self.sep_id, self.pad_id = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id
        self.question_boost, self.special_boost = question_boost, special_boost
        self.calls = 0

    @property
    def device(self):
        return self.anchor.device

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **kwargs):
        from transformers.modeling_outputs import QuestionAnsweringModelOutput

        self.calls += 1
        ids = torch.as_tensor(input_ids)
        if ids.dim() == 1:
            ids = ids[None]
        length = ids.shape[1]
        positions = torch.arange(length, device=ids.device)[None]
        first_sep = torch.where(ids == self.sep_id, positions, length).min(dim=1, keepdim=True).values
        question = (positions > 0) & (positions < first_sep)
        special = (ids == self.cls_id) | (ids == self.sep_id) | (ids == self.pad_id)
        extra = question * self.question_boost + special * self.special_boost
        start = self.base_start.to(ids.device)[ids] + extra
        end = self.base_end.to(ids.device)[ids] + extra
        return QuestionAnsweringModelOutput(start_logits=start, end_logits=end)


class NetworkAttempt(BaseException):
    pass


@contextlib.contextmanager
def no_network():
    """Within the block every connection attempt raises NetworkAttempt; yields the list of attempts."""
    attempts = []

    def refuse(name):
        def refused(*args, **kwargs):
            target = args[1] if name in ("connect", "connect_ex") and len(args) > 1 else (args[0] if args else "")
            attempts.append(f"{name}({target!r})")
            raise NetworkAttempt(f"network access attempted: {name}({target!r})")
        return refused

    saved = {name: getattr(socket, name) for name in ("create_connection", "getaddrinfo")}
    saved_methods = {name: getattr(socket.socket, name) for name in ("connect", "connect_ex")}
    for name in saved:
        setattr(socket, name, refuse(name))
    for name in saved_methods:
        setattr(socket.socket, name, refuse(name))
    try:
        yield attempts
    finally:
        for name, fn in saved.items():
            setattr(socket, name, fn)
        for name, fn in saved_methods.items():
            setattr(socket.socket, name, fn)
