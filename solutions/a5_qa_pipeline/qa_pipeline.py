"""A5 — Extractive question answering: the Hugging Face pipeline offline, and the same pipeline by hand.

作业 5：抽取式问答。先用 Hugging Face 的 question-answering pipeline 离线加载本地模型回答问题，
再亲手实现 pipeline 内部的每一步：分词与字符偏移、只在上下文中选答案、start/end softmax、
带长度限制的区间搜索、长文本的重叠窗口。

Supported transformers versions: every release from 4.41 on. Where the installed transformers still
has the "question-answering" pipeline task (up to 5.2) ``load_qa`` returns the library's pipeline;
5.3 removed that task, and there ``load_qa`` returns a ``ByHandPipeline``: the same call and the same
result, computed by your own ``extract_answer``. ``best_span`` and ``extract_answer`` use only the
tokenizer and the model, so they work on every version.
支持 transformers 4.41 及以后的所有版本：仍有 question-answering 任务的版本（至 5.2）上 load_qa 返回库的
pipeline；5.3 起该任务被删除，load_qa 改为返回 ByHandPipeline——调用方式与结果相同，由你自己的
extract_answer 计算。best_span 与 extract_answer 只用到分词器和模型，任何版本都可用。
"""

from __future__ import annotations

from pathlib import Path

import torch

# A model folder needs its configuration, its weights and its tokenizer's files.
# 模型文件夹必须包含：配置、权重、分词器文件。
CONFIG_FILE = "config.json"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
                "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt")


def has_qa_task() -> bool:
    """True where the installed transformers still has the "question-answering" pipeline task (up to 5.2).

    安装的 transformers 是否仍有 "question-answering" pipeline 任务（5.2 及以前为 True，5.3 起为 False）。
    """
    from transformers.pipelines import SUPPORTED_TASKS

    return "question-answering" in SUPPORTED_TASKS


class ByHandPipeline:
    """What ``load_qa`` returns where transformers has no "question-answering" task (5.3 and later).

    Called like the library's pipeline, ``qa(question=..., context=...)``, it answers with your own
    ``extract_answer`` on ``model`` and ``tokenizer``: {"answer", "score", "start", "end"}. It takes
    the pipeline's ``max_answer_len``, ``max_seq_len`` and ``doc_stride``; ``top_k=k`` gives a list of
    the k best answers (best first), ``handle_impossible_answer=True`` lets the empty answer
    {"answer": "", "start": 0, "end": 0} win when the model's [CLS] score beats every span.
    Spans are whole tokens (like the library's ``align_to_words=False``).

    transformers 5.3 起没有 question-answering 任务时 load_qa 返回的对象：调用方式与库的 pipeline 相同，
    用你自己的 extract_answer 计算答案；支持 max_answer_len、max_seq_len、doc_stride、top_k 与
    handle_impossible_answer。
    """

    def __init__(self, model, tokenizer):
        self.model = model
        self.tokenizer = tokenizer

    @property
    def device(self):
        return self.model.device

    def __call__(self, question=None, context=None, *, top_k: int = 1, max_answer_len: int = 15,
                 max_seq_len: int = 384, doc_stride: int = 128, handle_impossible_answer: bool = False,
                 **unused):
        # BEGIN SOLUTION
        # HINT: the one best answer (top_k=1) is exactly extract_answer(self.model, self.tokenizer, question, context, ...).
        # 提示：只要最佳答案（top_k=1）时，结果就是 extract_answer(self.model, self.tokenizer, question, context, ...)。
        # HINT: top_k > 1: the k best spans of all windows as a list, best first (each (start, end) once).
        # HINT: handle_impossible_answer: [CLS] joins each window's softmax; the empty answer scores p_start[CLS] * p_end[CLS].
        # 提示：top_k > 1 时返回所有窗口中最好的 k 个区间（列表，按分数从高到低）；handle_impossible_answer 时 [CLS]
        # 提示：也参与 softmax，空答案的分数为 p_start[CLS] * p_end[CLS]。
        _require_text(question, context)
        if top_k == 1 and not handle_impossible_answer:
            return extract_answer(self.model, self.tokenizer, question, context, max_answer_len, max_seq_len,
                                  doc_stride)
        encoding = self.tokenizer(question, context, truncation="only_second", max_length=max_seq_len,
                                  stride=doc_stride, return_overflowing_tokens=True,
                                  return_offsets_mapping=True, padding=True, return_tensors="pt")
        offsets = encoding.pop("offset_mapping").tolist()
        encoding.pop("overflow_to_sample_mapping", None)
        with torch.no_grad():
            output = self.model(**{name: tensor.to(self.device) for name, tensor in encoding.items()})
        spans, null_score = {}, None  # (start char, end char) -> best score over the windows
        for window in range(len(offsets)):
            tokens = [i for i, seq in enumerate(encoding.sequence_ids(window)) if seq == 1]
            chosen = [0, *tokens] if handle_impossible_answer else tokens  # [CLS] is the first token
            p_start = torch.softmax(output.start_logits[window, chosen].double(), dim=0)
            p_end = torch.softmax(output.end_logits[window, chosen].double(), dim=0)
            if handle_impossible_answer:
                null = float(p_start[0] * p_end[0])
                null_score = null if null_score is None else min(null_score, null)  # as the library does
                p_start, p_end = p_start[1:], p_end[1:]
            n = len(tokens)
            allowed = torch.ones(n, n, dtype=torch.bool).triu().tril(max_answer_len - 1)
            scores = (p_start[:, None] * p_end[None, :]).cpu().masked_fill(~allowed, -1.0)
            best = torch.topk(scores.flatten(), min(top_k, n * n))
            for score, flat in zip(best.values.tolist(), best.indices.tolist()):
                if score >= 0:
                    s, e = divmod(flat, n)
                    chars = (offsets[window][tokens[s]][0], offsets[window][tokens[e]][1])
                    spans[chars] = max(score, spans.get(chars, -1.0))
        answers = [{"answer": context[a:b], "score": score, "start": a, "end": b} for (a, b), score in spans.items()]
        if handle_impossible_answer:
            answers.append({"answer": "", "score": null_score, "start": 0, "end": 0})
        answers = sorted(answers, key=lambda found: -found["score"])[:top_k]
        return answers[0] if top_k == 1 else answers
        # END SOLUTION


def load_qa(model_dir, device=None):
    """A question-answering pipeline from the LOCAL folder ``model_dir`` only.

    Where the installed transformers has the "question-answering" task (``has_qa_task()``, up to
    5.2) this is the library's ``pipeline("question-answering", ...)``; from 5.3 on, a
    ``ByHandPipeline`` over the same tokenizer and model (same call, same answers).
    Never downloads anything: a missing folder, or a folder without ``config.json``, weights
    (``model.safetensors`` or ``pytorch_model.bin``) or tokenizer files (``tokenizer.json`` or
    ``vocab.txt``), raises ``FileNotFoundError`` naming what is missing. ``device``: e.g. "cpu",
    "cuda", "cuda:1", a ``torch.device``; None picks CUDA when available, else the CPU.

    只从本地文件夹加载，绝不联网下载；文件夹或文件缺失时抛出 FileNotFoundError，并写明缺少什么。
    transformers 有 question-answering 任务（has_qa_task()，至 5.2）时返回库的 pipeline，5.3 起返回
    同一分词器和模型上的 ByHandPipeline（调用方式与答案相同）。
    """
    # BEGIN SOLUTION
    # HINT: check the folder and its files yourself first (Path.is_dir / Path.is_file, see the names above).
    # HINT: a folder that does not exist looks like a Hub model id to transformers, which then tries to download it.
    # 提示：先自己检查文件夹和文件是否存在；不存在的路径会被 transformers 当成 Hub 上的模型名而尝试联网下载。
    # HINT: AutoTokenizer / AutoModelForQuestionAnswering .from_pretrained(folder, local_files_only=True), model on device.
    # 提示：用 from_pretrained(..., local_files_only=True) 只读本地文件，并把模型放到 device 上。
    # HINT: if has_qa_task(): pipeline("question-answering", model=..., tokenizer=..., device=...); else ByHandPipeline(model, tokenizer).
    # 提示：has_qa_task() 为真时用 pipeline(...) 组装；否则返回 ByHandPipeline(model, tokenizer)。
    folder = Path(model_dir).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"model folder not found: {folder} (absolute: {folder.absolute()}). Download the model once "
            f"(e.g. with hf download) and pass its local folder. / 找不到模型文件夹：{folder}"
            f"（请先用 hf download 下载一次，再传入本地文件夹）")
    missing = []
    if not (folder / CONFIG_FILE).is_file():
        missing.append(CONFIG_FILE)
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        missing.append("model.safetensors or pytorch_model.bin")
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        missing.append("tokenizer.json or vocab.txt")
    if missing:
        raise FileNotFoundError(f"model folder {folder} is missing: {', '.join(missing)} / "
                                f"模型文件夹 {folder} 缺少：{'、'.join(missing)}")

    from transformers import AutoModelForQuestionAnswering, AutoTokenizer, pipeline

    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForQuestionAnswering.from_pretrained(folder, local_files_only=True)
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    model = model.to(device).eval()
    if not has_qa_task():  # transformers 5.3+
        return ByHandPipeline(model, tokenizer)
    # No framework="pt": passing model objects already means PyTorch, and transformers 5.x
    # dropped the argument.
    return pipeline("question-answering", model=model, tokenizer=tokenizer, device=model.device)
    # END SOLUTION


def answer(qa, question: str, context: str) -> dict:
    """Ask the pipeline ``qa``: {"answer", "score", "start", "end"} with context[start:end] == answer.

    Empty question or context: ValueError. / 问题或上下文为空时抛出 ValueError。
    """
    # BEGIN SOLUTION
    # HINT: call qa(question=..., context=...) with keyword arguments; keep exactly the four keys.
    # 提示：用关键字参数调用 qa(question=..., context=...)，返回恰好这四个键。
    _require_text(question, context)
    result = qa(question=question, context=context)
    return {"answer": result["answer"], "score": float(result["score"]),
            "start": int(result["start"]), "end": int(result["end"])}
    # END SOLUTION


def best_span(start_logits, end_logits, max_answer_len: int = 15) -> tuple[int, int, float]:
    """The best answer span over 1-D logits of the tokens that may be chosen.

    Maximises softmax(start_logits)[s] * softmax(end_logits)[e] over s <= e and
    e - s + 1 <= max_answer_len; returns (s, e, that product).

    在可选 token 的 1 维 logits 上，找 s <= e 且长度 e - s + 1 <= max_answer_len 的区间，使
    softmax(start)[s] * softmax(end)[e] 最大；返回 (s, e, 该乘积)。
    """
    # BEGIN SOLUTION
    # HINT: softmax each vector; the outer product p_start[:, None] * p_end[None, :] holds every span's score.
    # HINT: keep only the band s <= e <= s + max_answer_len - 1 (torch.triu / torch.tril), then take the argmax.
    # 提示：分别 softmax，外积得到所有区间的分数；只保留 s <= e <= s + max_answer_len - 1 的带状区域再取最大值。
    if max_answer_len < 1:
        raise ValueError(f"max_answer_len must be at least 1, got {max_answer_len}")
    start = torch.as_tensor(start_logits, dtype=torch.float64).reshape(-1)
    end = torch.as_tensor(end_logits, dtype=torch.float64).reshape(-1).to(start.device)
    if start.numel() == 0 or start.shape != end.shape:
        raise ValueError(f"need two non-empty logit vectors of one length, got {tuple(start.shape)} "
                         f"and {tuple(end.shape)}")
    scores = torch.softmax(start, dim=0)[:, None] * torch.softmax(end, dim=0)[None, :]
    n = start.numel()
    allowed = torch.ones(n, n, dtype=torch.bool, device=start.device).triu().tril(max_answer_len - 1)
    scores = scores.masked_fill(~allowed, -1.0)  # products are >= 0, so a masked span never wins
    s, e = divmod(int(torch.argmax(scores)), n)
    return s, e, float(scores[s, e])
    # END SOLUTION


def extract_answer(model, tokenizer, question: str, context: str, max_answer_len: int = 15,
                   max_seq_len: int = 384, doc_stride: int = 128) -> dict:
    """The question-answering pipeline by hand, for a ``...ForQuestionAnswering`` model and its fast tokenizer.

    1. tokenize (question, context) with character offsets; a context too long for ``max_seq_len``
       tokens is split into overlapping windows (``doc_stride`` tokens of overlap);
    2. run the model: start and end logits for every token of every window;
    3. in each window only context tokens may be chosen: ``best_span`` over their logits;
    4. map the winning tokens back to characters of ``context``; the best-scoring window wins.
    Returns {"answer", "score", "start", "end"} with context[start:end] == answer.

    手写 pipeline：带字符偏移的分词（长文本切成重叠窗口）→ 模型前向 → 每个窗口只在上下文 token 中
    用 best_span 选区间 → 映射回 context 的字符位置，取所有窗口中分数最高者。
    """
    # BEGIN SOLUTION
    # HINT: tokenizer(question, context, truncation="only_second", max_length=max_seq_len, stride=doc_stride,
    # HINT:     return_overflowing_tokens=True, return_offsets_mapping=True, padding=True, return_tensors="pt")
    # HINT: gives one row per window; offset_mapping holds each token's (start, end) characters in its text.
    # 提示：上面的 tokenizer 调用为每个窗口返回一行；offset_mapping 给出每个 token 在原文中的字符区间。
    # HINT: encoding.sequence_ids(i) is 0 for question tokens, 1 for context tokens, None for [CLS]/[SEP]/padding.
    # 提示：sequence_ids(i) 中问题为 0、上下文为 1、特殊符号与填充为 None——只有 1 可以被选为答案。
    # HINT: take offset_mapping and overflow_to_sample_mapping out before model(**inputs): they are not model inputs.
    # 提示：调用模型前先取出 offset_mapping 和 overflow_to_sample_mapping，它们不是模型的输入。
    _require_text(question, context)
    encoding = tokenizer(question, context, truncation="only_second", max_length=max_seq_len,
                         stride=doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True,
                         padding=True, return_tensors="pt")
    offsets = encoding.pop("offset_mapping").tolist()
    encoding.pop("overflow_to_sample_mapping", None)
    device = next(model.parameters()).device
    with torch.no_grad():
        output = model(**{name: tensor.to(device) for name, tensor in encoding.items()})

    best = None
    for window in range(len(offsets)):
        context_tokens = [i for i, seq in enumerate(encoding.sequence_ids(window)) if seq == 1]
        s, e, score = best_span(output.start_logits[window, context_tokens],
                                output.end_logits[window, context_tokens], max_answer_len)
        if best is None or score > best["score"]:
            start = offsets[window][context_tokens[s]][0]
            end = offsets[window][context_tokens[e]][1]
            best = {"answer": context[start:end], "score": score, "start": int(start), "end": int(end)}
    return best
    # END SOLUTION


def _require_text(question: str, context: str) -> None:
    """ValueError unless both question and context are non-empty strings. / 问题与上下文都不能为空。"""
    for name, value in (("question", question), ("context", context)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be a non-empty string, got {value!r} / {name} 不能为空")


if __name__ == "__main__":
    import os
    import sys

    from transformers import AutoModelForQuestionAnswering, AutoTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()
    # The course's local model folder, or the course package's tiny offline model.
    # 课程的本地模型文件夹；没有时使用 ailit 自带的离线小模型。
    folder = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("AILIT_QA_MODEL")
    if not folder:
        from ailit_core.models.tiny_qa import model_dir

        folder = model_dir()
    question, context = "谁是人工智能之父？", "艾伦·图灵是人工智能之父，被誉为计算机科学的奠基人。"
    qa = load_qa(folder)
    kind = "library pipeline / 库的 pipeline" if has_qa_task() else "ByHandPipeline (transformers 5.3+)"
    print(f"load_qa -> {kind}:", answer(qa, question, context))
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForQuestionAnswering.from_pretrained(folder, local_files_only=True)
    print("by hand  / 手写实现:    ", extract_answer(model, tokenizer, question, context))
