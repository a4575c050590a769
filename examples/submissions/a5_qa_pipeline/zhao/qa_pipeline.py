"""A5 - Zhao: softmax over the whole window, and only the first window is read."""

import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer, pipeline
from pathlib import Path


def load_qa(model_dir, device=None):
    path = Path(model_dir)
    if not path.is_dir():
        raise FileNotFoundError(f"model folder {path} not found")
    for name in ("config.json",):
        if not (path / name).exists():
            raise FileNotFoundError(f"{path} has no {name}")
    if not ((path / "model.safetensors").exists() or (path / "pytorch_model.bin").exists()):
        raise FileNotFoundError(f"{path} has no model.safetensors / pytorch_model.bin")
    if not ((path / "tokenizer.json").exists() or (path / "vocab.txt").exists()):
        raise FileNotFoundError(f"{path} has no tokenizer.json / vocab.txt")
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModelForQuestionAnswering.from_pretrained(path, local_files_only=True)
    return pipeline("question-answering", model=model, tokenizer=tokenizer, device=device)


def answer(qa, question, context):
    if not question or not context:
        raise ValueError("question and context must not be empty")
    result = qa(question=question, context=context)
    return {"answer": result["answer"], "score": result["score"], "start": result["start"], "end": result["end"]}


def best_span(start_logits, end_logits, max_answer_len=15):
    p_s = torch.softmax(torch.as_tensor(start_logits, dtype=torch.float32), 0)
    p_e = torch.softmax(torch.as_tensor(end_logits, dtype=torch.float32), 0)
    scores = torch.triu(p_s[:, None] * p_e[None, :])
    scores = torch.tril(scores, max_answer_len - 1)
    i = int(scores.argmax())
    s, e = divmod(i, len(p_s))
    return s, e, float(scores[s, e])


def extract_answer(model, tokenizer, question, context, max_answer_len=15, max_seq_len=384, doc_stride=128):
    if not question or not context:
        raise ValueError("question and context must not be empty")
    enc = tokenizer(question, context, truncation="only_second", max_length=max_seq_len,
                    return_offsets_mapping=True, return_tensors="pt")
    offsets = enc.pop("offset_mapping")[0]
    with torch.no_grad():
        out = model(**enc)
    p_s = torch.softmax(out.start_logits[0], 0)
    p_e = torch.softmax(out.end_logits[0], 0)
    ctx = torch.tensor([s == 1 for s in enc.sequence_ids(0)])
    scores = p_s[:, None] * p_e[None, :]
    scores = torch.tril(torch.triu(scores), max_answer_len - 1)
    scores[~ctx, :] = 0
    scores[:, ~ctx] = 0
    i = int(scores.argmax())
    s, e = divmod(i, scores.shape[0])
    start, end = int(offsets[s][0]), int(offsets[e][1])
    return {"answer": context[start:end], "score": float(scores[s, e]), "start": start, "end": end}
