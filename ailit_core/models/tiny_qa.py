"""A tiny BERT extractive-QA model, built and fine-tuned offline: the fixture that stands in for the
course's ``uer/roberta-base-chinese-extractive-qa`` in tests and grading.

The folder looks like a real Hugging Face model folder (``config.json``, ``model.safetensors``,
``vocab.txt``, ``tokenizer.json``, ``tokenizer_config.json``), so ``AutoTokenizer``,
``AutoModelForQuestionAnswering`` and ``pipeline("question-answering", model=dir, tokenizer=dir)``
load it with ``local_files_only=True``. The vocabulary holds every Chinese character and English
word piece of ``qa_corpus`` (CJK characters are single tokens as in Chinese BERT; some English words
are split into ``##`` pieces on purpose so that token and character offsets differ). The model is
fine-tuned for a few seconds on generated questions, enough to answer them (and the course's
example) almost always; the held-out exact-match rate is stored in ``ailit_fixture.json``.

Built once per machine and cached with ``ailit_core.data.cache.cached_fixture``; the seed fixes the
data, the initial weights and the batch order, so rebuilding gives the same model up to the
floating-point order of the machine's BLAS.
"""

from __future__ import annotations

import contextlib
import json
import random
from pathlib import Path

from ailit_core.data.cache import cached_fixture, fixtures_root
from ailit_core.models import qa_corpus

VERSION = 1
FIXTURE_NAME = f"tiny-qa-bert-v{VERSION}"
SEED = 20240501
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
MAX_TRAIN_LEN = 128
QUALITY_FILE = "ailit_fixture.json"

# English words deliberately split into word pieces (greedy longest match finds these pieces
# because the whole word is left out of the vocabulary).
SPLIT_WORDS = {
    "pytorch": ("py", "##tor", "##ch"), "tensorflow": ("tensor", "##flow"),
    "backpropagation": ("back", "##prop", "##agation"), "paddlepaddle": ("paddle", "##paddle"),
    "deepmind": ("deep", "##mind"), "imagenet": ("image", "##net"), "lenet": ("le", "##net"),
    "lecun": ("le", "##cun"), "numpy": ("num", "##py"), "openai": ("open", "##ai"),
    "transformers": ("transform", "##ers"), "lovelace": ("love", "##lace"),
}
# Characters and words outside the generated corpus that tests and examples use.
EXTRA_TEXT = ("问题答案上下文模型中文英文混合的是在了和与及或我你他她它们这那哪个什么谁为什么怎么"
              "年月日时分秒一二三四五六七八九十百千万亿零第个位名叫称于被由从到对把将向用以"
              "！？。，、：；“”‘’（）《》【】…—·-+=/%&@#$*~_^|<>[]{}\"'`,.?!:;()"
              " the of and a an in on at to is was are were who what where when which how why "
              "model answer question context python hugging face deep learning")

CONFIG = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
              max_position_embeddings=512, type_vocab_size=2)
# Contexts of one or two facts and at most one filler sentence: small enough to learn in ~700 steps.
CORPUS = dict(max_facts=2, max_fillers=1)
TRAIN = dict(examples=4000, steps=700, batch_size=32, lr=5e-3, warmup=50, eval_examples=300,
             course_copies=20, threads=1)


def _words(text: str) -> list[str]:
    """The words BERT's pre-tokenizer makes of ``text`` (lower-cased, CJK characters and
    punctuation on their own)."""
    from tokenizers import normalizers, pre_tokenizers

    normalizer = normalizers.BertNormalizer(lowercase=True, handle_chinese_chars=True, strip_accents=None)
    return [w for w, _ in pre_tokenizers.BertPreTokenizer().pre_tokenize_str(normalizer.normalize_str(text))]


def build_vocabulary() -> list[str]:
    tokens: list[str] = list(SPECIAL_TOKENS)
    seen = set(tokens)

    def add(token: str) -> None:
        if token not in seen:
            seen.add(token)
            tokens.append(token)

    # Single characters (and their ## forms) first so any ASCII word or number still tokenizes.
    for ch in "0123456789abcdefghijklmnopqrstuvwxyz":
        add(ch)
        add("##" + ch)
    for text in (*qa_corpus.vocabulary_texts(), EXTRA_TEXT):
        for word in _words(text):
            for piece in SPLIT_WORDS.get(word, (word,)):
                add(piece)
    return tokens


def write_tokenizer(folder: Path):
    from transformers import BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(build_vocabulary()) + "\n", encoding="utf-8")
    # transformers 5.x ignores vocab_file=...: the path must be passed positionally.
    tokenizer = BertTokenizerFast(str(vocab), do_lower_case=True, tokenize_chinese_chars=True,
                                  strip_accents=None, model_max_length=512)
    tokenizer.save_pretrained(folder)
    return tokenizer


def _features(tokenizer, examples):
    """Token-level start/end labels for training (contexts are short: one window each)."""
    enc = tokenizer([e.question for e in examples], [e.context for e in examples], truncation="only_second",
                    max_length=MAX_TRAIN_LEN, padding="longest", return_offsets_mapping=True,
                    return_tensors="pt")
    starts, ends = [], []
    for i, e in enumerate(examples):
        seq = enc.sequence_ids(i)
        offsets = enc["offset_mapping"][i].tolist()
        ctx = [t for t, s in enumerate(seq) if s == 1]
        start = next(t for t in ctx if offsets[t][1] > e.answer_start)
        end = next(t for t in reversed(ctx) if offsets[t][0] < e.answer_end)
        starts.append(start)
        ends.append(end)
    enc.pop("offset_mapping")
    import torch

    return dict(enc), torch.tensor(starts), torch.tensor(ends)


def exact_match(model, tokenizer, examples) -> float:
    """Share of examples whose argmax span (context tokens only) is exactly the answer."""
    import torch

    inputs, starts, ends = _features(tokenizer, examples)
    enc = tokenizer([e.question for e in examples], [e.context for e in examples], truncation="only_second",
                    max_length=MAX_TRAIN_LEN, padding="longest", return_offsets_mapping=True)
    model.eval()
    with torch.no_grad():
        out = model(**inputs)
    hits = 0
    for i, e in enumerate(examples):
        ctx = torch.tensor([s == 1 for s in enc.sequence_ids(i)])
        s_log = out.start_logits[i].masked_fill(~ctx, -1e9)
        e_log = out.end_logits[i].masked_fill(~ctx, -1e9)
        scores = s_log[:, None] + e_log[None, :]
        n = scores.shape[0]
        allowed = torch.triu(torch.ones(n, n, dtype=torch.bool)) & ~torch.triu(torch.ones(n, n, dtype=torch.bool), 15)
        best = int(scores.masked_fill(~allowed, -1e18).argmax())
        s, t = divmod(best, n)
        offsets = enc["offset_mapping"][i]
        hits += e.context[offsets[s][0]:offsets[t][1]] == e.answer
    return hits / len(examples)


def build(folder: Path, *, seed: int = SEED, **overrides) -> dict:
    """Writes the tokenizer, trains the model and saves both into ``folder``; returns the report."""
    import torch

    train_cfg = {**TRAIN, **overrides}
    # One thread: on a small shared machine more threads cost more in contention than they gain
    # for a model this small, and the result no longer depends on the machine's core count.
    threads = torch.get_num_threads()
    torch.set_num_threads(train_cfg["threads"])
    try:
        return _train(folder, seed, train_cfg)
    finally:
        torch.set_num_threads(threads)


def _train(folder: Path, seed: int, train_cfg: dict) -> dict:
    import torch
    from transformers import BertConfig, BertForQuestionAnswering

    tokenizer = write_tokenizer(folder)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, **CONFIG)
    model = BertForQuestionAnswering(config)
    examples = qa_corpus.generate(train_cfg["examples"], seed, **CORPUS)
    examples += [qa_corpus.course_example()] * train_cfg["course_copies"]
    held_out = qa_corpus.generate(train_cfg["eval_examples"], seed + 1, **CORPUS)
    optimizer = torch.optim.AdamW(model.parameters(), lr=train_cfg["lr"], weight_decay=0.01)
    steps, warmup = train_cfg["steps"], train_cfg["warmup"]
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda k: min(1.0, (k + 1) / warmup) * max(0.05, 1 - k / steps))
    order = random.Random(seed)
    model.train()
    for step in range(steps):
        batch = order.sample(examples, train_cfg["batch_size"])
        inputs, starts, ends = _features(tokenizer, batch)
        loss = model(**inputs, start_positions=starts, end_positions=ends).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    model.eval()
    report = {"version": VERSION, "seed": seed, "train": train_cfg, "config": CONFIG,
              "held_out_exact_match": exact_match(model, tokenizer, held_out),
              "course_example_exact_match": exact_match(model, tokenizer, [qa_corpus.course_example()]),
              "final_loss": float(loss.detach())}
    model.save_pretrained(folder, safe_serialization=True)
    (folder / QUALITY_FILE).write_text(json.dumps(report, indent=1), encoding="utf-8")
    _make_readable(folder)
    return report


def _make_readable(folder: Path) -> None:
    """World-readable folder and files: the grader's sandbox reads them as another user, and both
    the staging folder (mkdtemp) and safetensors' weight file are created owner-only."""
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)


BUILD_NOTICE = ("ailit: building the tiny offline QA model (first use only, about a minute; then cached in "
                "{folder}) / 首次使用：正在生成离线问答小模型（约一分钟，之后缓存在 {folder}）")


def is_built() -> bool:
    return (fixtures_root() / FIXTURE_NAME).is_dir()


def model_dir(announce=None) -> Path:
    """The cached fixture folder, built on first use (30-90 s on 2 CPU cores, once per machine).

    ``announce(message)`` is called before a build starts (e.g. to print past pytest's capture), so
    that a first run does not sit silent for a minute.

    The folder is not keyed by the transformers version: builds with 5.2.0 and 5.24.0 are byte for
    byte the same (tokenizer.json, model.safetensors), and either loads on the other (same token
    ids, same logits).
    """
    target = fixtures_root() / FIXTURE_NAME
    if target.is_dir():
        return target
    if announce is not None:
        announce(BUILD_NOTICE.format(folder=fixtures_root()))
    # Graders run several submissions at once; without a lock each would train its own copy.
    with _build_lock(fixtures_root() / f".{FIXTURE_NAME}.lock"):
        return cached_fixture(FIXTURE_NAME, _build_quietly)


def _build_quietly(folder: Path) -> None:
    from transformers.utils import logging

    enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        build(folder)
    finally:
        if enabled:
            logging.enable_progress_bar()


@contextlib.contextmanager
def _build_lock(path: Path):
    try:
        import fcntl
    except ImportError:  # Windows: a student's own machine builds alone anyway
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
