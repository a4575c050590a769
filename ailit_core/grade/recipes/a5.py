"""Recipes of the a5_qa_pipeline hidden suite: what its tests need in the student's process.

- ``a5_qa_model(folder)``: the tiny QA model and its tokenizer, loaded there from the local folder
  the trusted side names (the fixture, which both processes can read); the trusted side loads its
  own copy from the same folder for its oracle and the library's pipeline.
- ``a5_scripted_model(tokenizer, ...)``: a ``ScriptedQA`` (logits the test chooses); the trusted side
  builds the same one with its own tokenizer for its oracle.
- ``a5_stand_in_qa()``: a pipeline-shaped callable for ``answer`` whose replies the trusted side
  predicts with ``stand_in_answer`` (it answers no question: it is no oracle a submission could use).
- ``a5_path(text)``: a ``pathlib.Path`` there (a Path is not plain data, so it cannot be sent).
- ``a5_block_network()``: connections and DNS lookups fail, as in the sandbox, and are logged (a
  probe beside the student's code, so forgeable: the test reading it carries 1 point).
- ``a5_quiet_transformers()``: no progress bars or warnings from transformers in the student's output.
- ``a5_hide_qa_task()`` / ``a5_restore_qa_task()``: take the "question-answering" task out of
  transformers' task table there, and put it back, so that a ``load_qa`` on a transformers that
  still has the task (5.2) shows its fallback for a transformers that lacks it (5.3+), as the
  contract asks; code that looks the task up (``has_qa_task()``, ``SUPPORTED_TASKS``, or
  ``pipeline(...)`` raising ``KeyError``) sees what it sees on 5.3+.

Nothing here is trusted: a submission can rewrite all of it in its own process, which only makes
its answers differ from what the trusted side computes.
"""

from __future__ import annotations

import functools
import os
import sys
import zlib

from ailit_core.grade.recipes import recipe

_MODELS: dict[str, tuple] = {}


@recipe
def a5_qa_model(folder):
    """``(model, tokenizer)`` from a local model folder, in eval mode (loaded once per process)."""
    key = str(folder)
    if key not in _MODELS:
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(key, local_files_only=True)
        model = AutoModelForQuestionAnswering.from_pretrained(key, local_files_only=True).eval()
        _MODELS[key] = (model, tokenizer)
    return _MODELS[key]


@functools.cache
def scripted_qa_class():
    """``ScriptedQA`` (made on first use: torch and transformers are imported only by a5's runs)."""
    import torch
    from torch import nn

    class ScriptedQA(nn.Module):
        """A model whose start/end logits are a fixed random value per token id plus chosen boosts.

        Position-independent, so a token has the same logits in every window; question tokens are
        those between the first [CLS] and the first [SEP] of a row (found from input_ids, so it works
        whether or not the caller passes token_type_ids).
        """

        def __init__(self, tokenizer, start_boost=None, end_boost=None, *, question_boost=0.0,
                     special_boost=0.0, seed=0, scale=1.0):
            super().__init__()
            from transformers import BertConfig

            vocab = len(tokenizer)
            self.config = BertConfig(vocab_size=vocab, max_position_embeddings=512)  # for code that reads it
            g = torch.Generator().manual_seed(int(seed))
            base_start = torch.randn(vocab, generator=g) * float(scale)
            base_end = torch.randn(vocab, generator=g) * float(scale)
            for token, boost in (start_boost or {}).items():
                base_start[tokenizer.convert_tokens_to_ids(token)] += float(boost)
            for token, boost in (end_boost or {}).items():
                base_end[tokenizer.convert_tokens_to_ids(token)] += float(boost)
            self.register_buffer("base_start", base_start)
            self.register_buffer("base_end", base_end)
            self.anchor = nn.Parameter(torch.zeros(1))  # so that model.parameters() / .device work
            self.cls_id, self.sep_id, self.pad_id = (tokenizer.cls_token_id, tokenizer.sep_token_id,
                                                     tokenizer.pad_token_id)
            self.question_boost, self.special_boost = float(question_boost), float(special_boost)

        @property
        def device(self):
            return self.anchor.device

        def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **kwargs):
            from transformers.modeling_outputs import QuestionAnsweringModelOutput

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

    return ScriptedQA


@recipe
def a5_scripted_model(tokenizer, start_boost=None, end_boost=None, **options):
    """A ``ScriptedQA`` over ``tokenizer`` (options: question_boost, special_boost, seed, scale)."""
    return scripted_qa_class()(tokenizer, start_boost, end_boost, **options)


def stand_in_answer(question, context):
    """The reply of ``a5_stand_in_qa``: a span of ``context`` picked from a checksum of both texts.

    Not question answering, only a reply shaped like the library pipeline's that depends on which
    text is the question and which the context; empty texts raise ValueError as the pipeline does.
    """
    for name, value in (("question", question), ("context", context)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"`{name}` cannot be empty / {name} 不能为空")
    mix = zlib.crc32(f"{question}\x00{context}".encode("utf-8"))
    start = mix % len(context)
    end = start + 1 + (mix >> 8) % min(6, len(context) - start)
    return {"score": ((mix >> 16) % 9973 + 1) / 9974, "start": start, "end": end, "answer": context[start:end]}


class StandInQA:
    """Called like the library's pipeline: ``qa(question=..., context=...)``, ``qa(question, context)``
    or ``qa({"question": ..., "context": ...})``; other options (top_k=1...) are ignored."""

    task = "question-answering"

    def __call__(self, *args, question=None, context=None, **ignored):
        if len(args) == 1 and isinstance(args[0], dict):
            question, context = args[0].get("question"), args[0].get("context")
        elif len(args) == 2:
            question, context = args
        elif args:
            raise ValueError("call qa(question=..., context=...) / 请用 qa(question=..., context=...) 调用")
        return stand_in_answer(question, context)


@recipe
def a5_stand_in_qa():
    return StandInQA()


@recipe
def a5_path(text):
    from pathlib import Path

    return Path(text)


class NetworkLog:
    """Connection attempts made in this process since the guard went up (``a5_block_network``)."""

    def __init__(self):
        self.attempts: list[str] = []

    def entries(self):
        return list(self.attempts)

    def clear(self):
        self.attempts.clear()


_network_log: list[NetworkLog] = []


@recipe
def a5_block_network():
    """Every TCP/UDP connection and DNS lookup fails from now on as it does without a network (an
    OSError, which code that copes with being offline handles), and is logged first."""
    import errno
    import socket

    if _network_log:
        return _network_log[0]
    log = NetworkLog()
    internet = (socket.AF_INET, socket.AF_INET6)

    def lookup(host, *args, **kwargs):
        log.attempts.append(f"getaddrinfo({host!r})")
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (no network)")

    def create_connection(address, *args, **kwargs):
        log.attempts.append(f"create_connection({address!r})")
        raise OSError(errno.ENETUNREACH, "Network is unreachable (no network)")

    def guarded(original, name):
        def connect(self, address, *args):
            if self.family in internet:
                log.attempts.append(f"{name}({address!r})")
                if name == "connect_ex":
                    return errno.ENETUNREACH
                raise OSError(errno.ENETUNREACH, "Network is unreachable (no network)")
            return original(self, address, *args)
        return connect

    socket.getaddrinfo = lookup
    socket.create_connection = create_connection
    socket.socket.connect = guarded(socket.socket.connect, "connect")
    socket.socket.connect_ex = guarded(socket.socket.connect_ex, "connect_ex")
    _network_log.append(log)
    return log


@recipe
def a5_quiet_transformers():
    """No progress bars or warnings from transformers (before or after it is imported)."""
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["TRANSFORMERS_VERBOSITY"] = "error"
    if "transformers" in sys.modules:
        from transformers.utils import logging

        logging.disable_progress_bar()
        logging.set_verbosity_error()


_hidden_tasks: dict = {}


@recipe
def a5_hide_qa_task():
    """True when the task was there and is now hidden (False where transformers has no such task)."""
    from transformers.pipelines import SUPPORTED_TASKS

    if "question-answering" not in SUPPORTED_TASKS:
        return False
    _hidden_tasks["question-answering"] = SUPPORTED_TASKS.pop("question-answering")
    return True


@recipe
def a5_restore_qa_task():
    from transformers.pipelines import SUPPORTED_TASKS

    if "question-answering" in _hidden_tasks:
        SUPPORTED_TASKS["question-answering"] = _hidden_tasks.pop("question-answering")
