"""A5 — Extractive question answering: the Hugging Face pipeline offline, and the same pipeline by hand.

作业 5：抽取式问答。先用 Hugging Face 的 question-answering pipeline 离线加载本地模型回答问题，
再亲手实现 pipeline 内部的每一步：分词与字符偏移、只在上下文中选答案、start/end softmax、
带长度限制的区间搜索、长文本的重叠窗口。

Supported transformers versions: >=4.41,<5.3 for ``load_qa``/``answer`` (5.3 removed the
"question-answering" pipeline task). ``best_span`` and ``extract_answer`` use only the tokenizer and
the model, so they work on every version.
支持的 transformers 版本：load_qa/answer 需要 >=4.41,<5.3（5.3 起删除了 question-answering
任务）；best_span 与 extract_answer 只用到分词器和模型，任何版本都可用。
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


def load_qa(model_dir, device=None):
    """A transformers "question-answering" pipeline from the LOCAL folder ``model_dir`` only.

    Never downloads anything: a missing folder, or a folder without ``config.json``, weights
    (``model.safetensors`` or ``pytorch_model.bin``) or tokenizer files (``tokenizer.json`` or
    ``vocab.txt``), raises ``FileNotFoundError`` naming what is missing. ``device``: e.g. "cpu",
    "cuda", "cuda:1", a ``torch.device``; None picks CUDA when available, else the CPU.

    只从本地文件夹加载，绝不联网下载；文件夹或文件缺失时抛出 FileNotFoundError，并写明缺少什么。
    """
    # HINT: check the folder and its files yourself first (Path.is_dir / Path.is_file, see the names above).
    # HINT: a folder that does not exist looks like a Hub model id to transformers, which then tries to download it.
    # 提示：先自己检查文件夹和文件是否存在；不存在的路径会被 transformers 当成 Hub 上的模型名而尝试联网下载。
    # HINT: AutoTokenizer / AutoModelForQuestionAnswering .from_pretrained(folder, local_files_only=True), then pipeline(...).
    # 提示：用 from_pretrained(..., local_files_only=True) 只读本地文件，再用 pipeline(...) 组装，并传入 device。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def answer(qa, question: str, context: str) -> dict:
    """Ask the pipeline ``qa``: {"answer", "score", "start", "end"} with context[start:end] == answer.

    Empty question or context: ValueError. / 问题或上下文为空时抛出 ValueError。
    """
    # HINT: call qa(question=..., context=...) with keyword arguments; keep exactly the four keys.
    # 提示：用关键字参数调用 qa(question=..., context=...)，返回恰好这四个键。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def best_span(start_logits, end_logits, max_answer_len: int = 15) -> tuple[int, int, float]:
    """The best answer span over 1-D logits of the tokens that may be chosen.

    Maximises softmax(start_logits)[s] * softmax(end_logits)[e] over s <= e and
    e - s + 1 <= max_answer_len; returns (s, e, that product).

    在可选 token 的 1 维 logits 上，找 s <= e 且长度 e - s + 1 <= max_answer_len 的区间，使
    softmax(start)[s] * softmax(end)[e] 最大；返回 (s, e, 该乘积)。
    """
    # HINT: softmax each vector; the outer product p_start[:, None] * p_end[None, :] holds every span's score.
    # HINT: keep only the band s <= e <= s + max_answer_len - 1 (torch.triu / torch.tril), then take the argmax.
    # 提示：分别 softmax，外积得到所有区间的分数；只保留 s <= e <= s + max_answer_len - 1 的带状区域再取最大值。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


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
    # HINT: tokenizer(question, context, truncation="only_second", max_length=max_seq_len, stride=doc_stride,
    # HINT:     return_overflowing_tokens=True, return_offsets_mapping=True, padding=True, return_tensors="pt")
    # HINT: gives one row per window; offset_mapping holds each token's (start, end) characters in its text.
    # 提示：上面的 tokenizer 调用为每个窗口返回一行；offset_mapping 给出每个 token 在原文中的字符区间。
    # HINT: encoding.sequence_ids(i) is 0 for question tokens, 1 for context tokens, None for [CLS]/[SEP]/padding.
    # 提示：sequence_ids(i) 中问题为 0、上下文为 1、特殊符号与填充为 None——只有 1 可以被选为答案。
    # HINT: take offset_mapping and overflow_to_sample_mapping out before model(**inputs): they are not model inputs.
    # 提示：调用模型前先取出 offset_mapping 和 overflow_to_sample_mapping，它们不是模型的输入。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


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
    print("pipeline / 使用 pipeline:", answer(qa, question, context))
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForQuestionAnswering.from_pretrained(folder, local_files_only=True)
    print("by hand  / 手写实现:    ", extract_answer(model, tokenizer, question, context))
