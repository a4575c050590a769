"""A5 - Wang: log-space vectorised search, windows padded to max_length, pipeline from paths
(own HandQA where transformers has no question-answering task)."""

from pathlib import Path

import torch
import transformers
from transformers import pipeline
from transformers.pipelines import SUPPORTED_TASKS


class ModelFolderError(FileNotFoundError):
    pass


REQUIRED = {
    "config.json": ["config.json"],
    "model weights": ["model.safetensors", "pytorch_model.bin"],
    "tokenizer": ["tokenizer.json", "vocab.txt"],
}


def load_qa(model_dir, device=None):
    root = Path(model_dir)
    if not root.exists():
        raise ModelFolderError(f"no such model folder: {root.resolve()}")
    lacking = [f"{what} ({' or '.join(names)})" for what, names in REQUIRED.items()
               if not any((root / n).exists() for n in names)]
    if lacking:
        raise ModelFolderError(f"model folder {root} is incomplete, missing: {'; '.join(lacking)}")
    kwargs = {"device": device if device is not None else ("cuda" if torch.cuda.is_available() else "cpu")}
    if int(transformers.__version__.split(".")[0]) < 5:
        kwargs["framework"] = "pt"
    if "question-answering" not in SUPPORTED_TASKS:  # removed in transformers 5.3
        return HandQA(root, kwargs["device"])
    # The folder and its files exist (checked above), so transformers reads them and never asks the Hub.
    return pipeline("question-answering", model=str(root), tokenizer=str(root), **kwargs)


class HandQA:
    """The pipeline's call on my own extract_answer."""

    def __init__(self, root, device):
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(root, local_files_only=True)
        self.model = AutoModelForQuestionAnswering.from_pretrained(root, local_files_only=True).to(device)

    def __call__(self, *, question, context, top_k=1, handle_impossible_answer=False, **options):
        if top_k == 1 and not handle_impossible_answer:
            return extract_answer(self.model, self.tokenizer, question, context, **options)
        ranked = ranked_answers(self.model, self.tokenizer, question, context, handle_impossible_answer, **options)
        return ranked[0] if top_k == 1 else ranked[:top_k]


def ranked_answers(model, tokenizer, question, context, with_null=False, max_answer_len=15, max_seq_len=384,
                   doc_stride=128):
    """Every span of every window, best first (log-space scores; [CLS] in the softmax when with_null)."""
    if not question or not context:
        raise ValueError("empty question" if not question else "empty context")
    features = tokenizer(question, context, max_length=max_seq_len, truncation="only_second",
                         stride=doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True,
                         padding="max_length", return_tensors="pt")
    offsets = features.pop("offset_mapping")
    features.pop("overflow_to_sample_mapping")
    device = next(model.parameters()).device
    with torch.inference_mode():
        logits = model(**{k: v.to(device) for k, v in features.items()})
    best, null = {}, float("inf")
    for w in range(offsets.shape[0]):
        allowed = torch.tensor([sid == 1 for sid in features.sequence_ids(w)])
        allowed[0] = allowed[0] or with_null  # [CLS] joins the softmax
        ls = torch.log_softmax(logits.start_logits[w].cpu()[allowed].double(), dim=-1)
        le = torch.log_softmax(logits.end_logits[w].cpu()[allowed].double(), dim=-1)
        if with_null:
            null = min(null, (ls[0] + le[0]).exp().item())
            ls, le = ls[1:], le[1:]
            allowed[0] = False
        positions = allowed.nonzero().flatten()
        idx = torch.arange(len(positions))
        length = idx[None, :] - idx[:, None]
        total = (ls[:, None] + le[None, :]).masked_fill((length < 0) | (length >= max_answer_len), float("-inf"))
        for s, e in (total > float("-inf")).nonzero().tolist():
            key = (int(offsets[w, positions[s], 0]), int(offsets[w, positions[e], 1]))
            best[key] = max(best.get(key, 0.0), total[s, e].exp().item())
    if with_null:
        best[(0, 0)] = null
    return [{"answer": context[a:b], "score": p, "start": a, "end": b}
            for (a, b), p in sorted(best.items(), key=lambda item: -item[1])]


def answer(qa, question, context):
    if not isinstance(question, str) or question.strip() == "":
        raise ValueError("empty question")
    if not isinstance(context, str) or context.strip() == "":
        raise ValueError("empty context")
    r = qa(question=question, context=context)
    return dict(answer=r["answer"], score=float(r["score"]), start=r["start"], end=r["end"])


def best_span(start_logits, end_logits, max_answer_len=15):
    ls = torch.log_softmax(torch.as_tensor(start_logits).double().flatten(), dim=-1)
    le = torch.log_softmax(torch.as_tensor(end_logits).double().flatten(), dim=-1)
    n = ls.shape[0]
    idx = torch.arange(n)
    length = idx[None, :] - idx[:, None]
    total = ls[:, None] + le[None, :]
    total[(length < 0) | (length >= max_answer_len)] = float("-inf")
    flat = torch.argmax(total).item()
    s, e = flat // n, flat % n
    return s, e, total[s, e].exp().item()


def extract_answer(model, tokenizer, question, context, max_answer_len=15, max_seq_len=384, doc_stride=128):
    for name, text in (("question", question), ("context", context)):
        if not text:
            raise ValueError(f"{name} must not be empty")
    features = tokenizer(question, context, max_length=max_seq_len, truncation="only_second",
                         stride=doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True,
                         padding="max_length", return_tensors="pt")
    offsets = features.pop("offset_mapping")
    features.pop("overflow_to_sample_mapping")
    device = next(model.parameters()).device
    with torch.inference_mode():
        logits = model(**{k: v.to(device) for k, v in features.items()})
    candidates = []
    for w in range(offsets.shape[0]):
        allowed = torch.tensor([sid == 1 for sid in features.sequence_ids(w)])
        positions = allowed.nonzero().flatten()
        s, e, p = best_span(logits.start_logits[w].cpu()[allowed], logits.end_logits[w].cpu()[allowed],
                            max_answer_len)
        start = int(offsets[w, positions[s], 0])
        end = int(offsets[w, positions[e], 1])
        candidates.append((p, start, end))
    p, start, end = max(candidates)
    return {"answer": context[start:end], "score": p, "start": start, "end": end}
