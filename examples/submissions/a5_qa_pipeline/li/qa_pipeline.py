"""A5 - Li: NumPy loops for the span search, one model call per window; own wrapper on transformers 5.3+."""

import os

import numpy as np
import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer, pipeline


def load_qa(model_dir, device=None):
    model_dir = os.fspath(model_dir)
    if not os.path.isdir(model_dir):
        raise OSError(f"找不到模型目录 / model directory does not exist: {model_dir}")
    files = set(os.listdir(model_dir))
    problems = []
    if "config.json" not in files:
        problems.append("config.json")
    if not files & {"model.safetensors", "pytorch_model.bin"}:
        problems.append("weights (model.safetensors / pytorch_model.bin)")
    if not files & {"tokenizer.json", "vocab.txt"}:
        problems.append("tokenizer files (tokenizer.json / vocab.txt)")
    if problems:
        raise OSError(f"{model_dir} lacks " + ", ".join(problems))
    tok = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    mdl = AutoModelForQuestionAnswering.from_pretrained(model_dir, local_files_only=True)
    if device is None:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return pipeline("question-answering", model=mdl, tokenizer=tok, device=device)
    except KeyError:  # transformers 5.3+ removed the task: my own extract_answer stands in
        return _MyQA(mdl.to(device), tok)


class _MyQA:
    def __init__(self, model, tokenizer):
        self.model, self.tokenizer = model, tokenizer

    def __call__(self, question, context, top_k=1, handle_impossible_answer=False, max_answer_len=15,
                 max_seq_len=384, doc_stride=128, **_):
        if top_k == 1 and not handle_impossible_answer:
            return extract_answer(self.model, self.tokenizer, question, context, max_answer_len, max_seq_len,
                                  doc_stride)
        _check(question, context)
        enc = self.tokenizer(question, context, truncation="only_second", max_length=max_seq_len, stride=doc_stride,
                             return_overflowing_tokens=True, return_offsets_mapping=True)
        found, null = {}, None  # (start, end) -> best probability over the windows
        for i in range(len(enc["input_ids"])):
            inputs = {k: torch.tensor([enc[k][i]], device=self.model.device)
                      for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc}
            with torch.no_grad():
                out = self.model(**inputs)
            seq = enc.sequence_ids(i)
            ctx = [j for j in range(len(seq)) if seq[j] == 1]
            keep = ([0] if handle_impossible_answer else []) + ctx  # [CLS] is token 0
            p_start = _softmax(out.start_logits[0][keep].cpu().numpy())
            p_end = _softmax(out.end_logits[0][keep].cpu().numpy())
            if handle_impossible_answer:
                here = p_start[0] * p_end[0]
                null = here if null is None else min(null, here)
                p_start, p_end = p_start[1:], p_end[1:]
            offsets = enc["offset_mapping"][i]
            for s in range(len(ctx)):
                for e in range(s, min(s + max_answer_len, len(ctx))):
                    span = (offsets[ctx[s]][0], offsets[ctx[e]][1])
                    found[span] = max(found.get(span, 0.0), p_start[s] * p_end[e])
        answers = [{"answer": context[a:b], "score": float(p), "start": a, "end": b} for (a, b), p in found.items()]
        if handle_impossible_answer:
            answers.append({"answer": "", "score": float(null), "start": 0, "end": 0})
        answers.sort(key=lambda x: x["score"], reverse=True)
        return answers[0] if top_k == 1 else answers[:top_k]


def _check(question, context):
    if not question:
        raise ValueError("question is empty / 问题为空")
    if not context:
        raise ValueError("context is empty / 上下文为空")


def answer(qa, question, context):
    _check(question, context)
    out = qa(question=question, context=context)
    return {key: out[key] for key in ("answer", "score", "start", "end")}


def _softmax(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - np.max(x))
    return e / e.sum()


def best_span(start_logits, end_logits, max_answer_len=15):
    p_start = _softmax(torch.as_tensor(start_logits).detach().cpu().numpy())
    p_end = _softmax(torch.as_tensor(end_logits).detach().cpu().numpy())
    best_s, best_e, best_score = 0, 0, -1.0
    for s in range(len(p_start)):
        for e in range(s, min(s + max_answer_len, len(p_end))):
            if p_start[s] * p_end[e] > best_score:
                best_s, best_e, best_score = s, e, p_start[s] * p_end[e]
    return best_s, best_e, float(best_score)


def extract_answer(model, tokenizer, question, context, max_answer_len=15, max_seq_len=384, doc_stride=128):
    _check(question, context)
    enc = tokenizer(question, context, truncation="only_second", max_length=max_seq_len, stride=doc_stride,
                    return_overflowing_tokens=True, return_offsets_mapping=True)
    result = None
    for i in range(len(enc["input_ids"])):
        inputs = {k: torch.tensor([enc[k][i]], device=model.device)
                  for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc}
        with torch.no_grad():
            out = model(**inputs)
        seq = enc.sequence_ids(i)
        ctx = [j for j in range(len(seq)) if seq[j] == 1]
        s, e, score = best_span(out.start_logits[0][ctx], out.end_logits[0][ctx], max_answer_len)
        if result is None or score > result["score"]:
            a, b = enc["offset_mapping"][i][ctx[s]][0], enc["offset_mapping"][i][ctx[e]][1]
            result = {"answer": context[a:b], "score": score, "start": a, "end": b}
    return result
