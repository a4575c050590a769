"""A5 - Sun: decodes the answer from tokens, and forgets the length limit."""

import os

import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer, pipeline


def load_qa(model_dir, device=None):
    if not os.path.exists(model_dir):
        raise FileNotFoundError("model folder not found: " + str(model_dir))
    needed = ["config.json"]
    missing = [f for f in needed if not os.path.exists(os.path.join(model_dir, f))]
    if not os.path.exists(os.path.join(model_dir, "model.safetensors")) and \
            not os.path.exists(os.path.join(model_dir, "pytorch_model.bin")):
        missing.append("model.safetensors")
    if not os.path.exists(os.path.join(model_dir, "vocab.txt")) and \
            not os.path.exists(os.path.join(model_dir, "tokenizer.json")):
        missing.append("vocab.txt")
    if missing:
        raise FileNotFoundError("missing files: " + ", ".join(missing))
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForQuestionAnswering.from_pretrained(model_dir, local_files_only=True)
    return pipeline("question-answering", model=model, tokenizer=tokenizer, device=device)


def answer(qa, question, context):
    if question == "" or context == "":
        raise ValueError("empty input")
    return qa(question=question, context=context)


def best_span(start_logits, end_logits, max_answer_len=15):
    p_s = torch.softmax(torch.as_tensor(start_logits).double(), 0)
    p_e = torch.softmax(torch.as_tensor(end_logits).double(), 0)
    scores = torch.triu(p_s[:, None] * p_e[None, :])
    best = int(torch.argmax(scores))
    s, e = best // len(p_s), best % len(p_s)
    return s, e, scores[s, e].item()


def extract_answer(model, tokenizer, question, context, max_answer_len=15, max_seq_len=384, doc_stride=128):
    if question == "" or context == "":
        raise ValueError("empty input")
    enc = tokenizer(question, context, truncation="only_second", max_length=max_seq_len, stride=doc_stride,
                    return_overflowing_tokens=True, return_offsets_mapping=True, padding=True,
                    return_tensors="pt")
    offsets = enc.pop("offset_mapping")
    enc.pop("overflow_to_sample_mapping")
    with torch.no_grad():
        out = model(**enc)
    best = None
    for w in range(len(offsets)):
        ids = [i for i, s in enumerate(enc.sequence_ids(w)) if s == 1]
        s, e, score = best_span(out.start_logits[w, ids], out.end_logits[w, ids], max_answer_len)
        if best is None or score > best["score"]:
            text = tokenizer.decode(enc["input_ids"][w, ids[s]:ids[e] + 1])
            best = {"answer": text, "score": score, "start": int(offsets[w, ids[s], 0]),
                    "end": int(offsets[w, ids[e], 1])}
    return best
