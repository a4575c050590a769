"""Generated question/context/answer triples for the tiny extractive-QA fixture and the a5 tests.

Facts about people, places, years, inventions and software are slotted into a few sentence
patterns in Chinese, English and mixed script (e.g. ``PyTorch是由Meta开发的深度学习框架。``), so
that a very small model can learn to answer them in seconds and tests can ask many different
questions whose answers are known exactly (character offsets included). Everything is drawn from
``random.Random(seed)``: the same seed gives the same examples on every machine.

The course's own example (``COURSE_QUESTION`` over ``COURSE_CONTEXT``) is one instance of the
patterns, so the fixture answers it as the course's real model does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

COURSE_QUESTION = "谁是人工智能之父？"
COURSE_CONTEXT = "艾伦·图灵是人工智能之父，被誉为计算机科学的奠基人。"
COURSE_ANSWER = "艾伦·图灵"

PEOPLE_ZH = ("艾伦·图灵", "约翰·麦卡锡", "马文·明斯基", "杰弗里·辛顿", "扬·勒昆", "约书亚·本吉奥",
             "克劳德·香农", "冯·诺依曼", "李飞飞", "吴恩达", "张明", "王芳", "李华", "陈静", "刘洋", "赵磊")
FIELDS_ZH = ("人工智能", "计算机科学", "深度学习", "机器学习", "信息论", "神经网络", "计算机视觉",
             "自然语言处理", "强化学习", "数据科学")
CITIES_ZH = ("伦敦", "纽约", "巴黎", "北京", "上海", "多伦多", "东京", "波士顿", "杭州", "深圳")
THINGS_ZH = ("图灵测试", "反向传播算法", "卷积神经网络", "信息熵", "图灵机", "感知机", "注意力机制",
             "决策树", "支持向量机", "词向量")
ORGS = ("Meta", "Google", "Hugging Face", "OpenAI", "Microsoft", "DeepMind", "百度", "清华大学")
LIBRARIES = ("PyTorch", "TensorFlow", "Transformers", "JAX", "Keras", "PaddlePaddle", "scikit-learn", "NumPy")
KINDS_ZH = ("深度学习框架", "机器学习库", "开源软件")
PEOPLE_EN = ("Alan Turing", "John McCarthy", "Geoffrey Hinton", "Yann LeCun", "Claude Shannon",
             "Ada Lovelace", "Grace Hopper", "Fei-Fei Li")
CITIES_EN = ("London", "New York", "Paris", "Toronto", "Boston", "Tokyo", "Beijing", "Shanghai")
THINGS_EN = ("the Turing test", "backpropagation", "information theory", "the compiler", "LeNet",
             "ImageNet", "the perceptron", "Lisp")
FILLERS_ZH = ("今天的天气很好。", "图书馆里有很多书。", "我们每周上两次课。", "这门课程介绍深度学习的基础知识。",
              "同学们在教室里认真学习。", "老师给大家布置了作业。", "实验室的电脑运行得很快。",
              "下午我们去操场跑步。", "这本书一共有十二章。", "大家在课后讨论了很多问题。")
FILLERS_EN = ("The weather is nice today.", "The library has many books.", "We meet twice a week.",
              "Students study in the classroom.")

# Chinese facts about a person: (predicate, [(question, answer slot)]). The subject leads the
# sentence once and later predicates drop it, as in the course's example sentence.
_ZH_PREDICATES = (
    ("是{f}之父", (("谁是{f}之父？", "p"),)),
    ("被誉为{g}的奠基人", (("谁被誉为{g}的奠基人？", "p"), ("{p}被誉为什么的奠基人？", "g"))),
    ("出生于{y}年", (("{p}出生于哪一年？", "y"),)),
    ("出生在{c}", (("{p}出生在哪里？", "c"), ("{p}出生在哪个城市？", "c"))),
    ("提出了{t}", (("谁提出了{t}？", "p"), ("{p}提出了什么？", "t"))),
    ("在{o}工作", (("{p}在哪里工作？", "o"),)),
)
_EN_PREDICATES = (
    ("was born in {c}", (("Where was {p} born?", "c"),)),
    ("invented {t}", (("Who invented {t}?", "p"), ("What did {p} invent?", "t"))),
    ("worked at {o}", (("Where did {p} work?", "o"),)),
)


@dataclass(frozen=True)
class QAExample:
    question: str
    context: str
    answer: str
    answer_start: int  # character offset of the answer in context

    @property
    def answer_end(self) -> int:
        return self.answer_start + len(self.answer)

    def __post_init__(self):
        if self.context[self.answer_start:self.answer_end] != self.answer:
            raise ValueError(f"answer {self.answer!r} is not at {self.answer_start} in {self.context!r}")


class _Pool:
    """Draws slot values without repeats inside one context, so every answer is unambiguous."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def take(self, values) -> str:
        free = [v for v in values if v not in self.used]
        value = self.rng.choice(free)
        self.used.add(value)
        return value


def _sentence(rng: random.Random, pool: _Pool, language: str):
    """(text, [(question, answer, answer offset in text)]) for one generated sentence."""
    if language == "library":
        lib, org, kind = pool.take(LIBRARIES), pool.take(ORGS), rng.choice(KINDS_ZH)
        text = f"{lib}是由{org}开发的{kind}。"
        return text, [(f"{lib}是由谁开发的？", org, len(lib) + 2), (f"{org}开发了哪个{kind}？", lib, 0)]
    zh = language == "zh"
    person = pool.take(PEOPLE_ZH if zh else PEOPLE_EN)
    predicates = rng.sample(_ZH_PREDICATES if zh else _EN_PREDICATES, rng.choice((1, 1, 2)))
    values = {"p": person}
    pieces, spans = [person], {"p": 0}
    for i, (template, _) in enumerate(predicates):
        if i:
            pieces.append("，" if zh else ", and ")
        elif not zh:
            pieces.append(" ")
        before = template.split("{", 1)[0]
        slot = template.split("{", 1)[1][0]
        values[slot] = value = _slot_value(rng, pool, slot, zh)
        spans[slot] = sum(map(len, pieces)) + len(before)
        pieces.append(template.format(**{slot: value}))
    pieces.append("。" if zh else ".")
    qas = []
    for _, questions in predicates:
        for question, slot in questions:
            qas.append((question.format(**values), values[slot], spans[slot]))
    return "".join(pieces), qas


def _slot_value(rng: random.Random, pool: _Pool, slot: str, zh: bool) -> str:
    if slot == "y":
        return pool.take([str(year) for year in range(1800, 2021)])
    table = {"f": FIELDS_ZH, "g": FIELDS_ZH, "c": CITIES_ZH if zh else CITIES_EN, "t": THINGS_ZH if zh else THINGS_EN,
             "o": ORGS}[slot]
    return pool.take(table)


def generate(n: int, seed: int, *, max_facts: int = 3, max_fillers: int = 2,
             languages: tuple[str, ...] = ("zh", "zh", "zh", "en", "library")) -> list[QAExample]:
    """``n`` examples: a context of 1..max_facts fact sentences (one language each, drawn from
    ``languages``) and 0..max_fillers filler sentences, and one question about one of its facts."""
    rng = random.Random(seed)
    examples = []
    while len(examples) < n:
        language = rng.choice(languages)
        pool = _Pool(rng)
        sentences = [_sentence(rng, pool, language) for _ in range(rng.randint(1, max_facts))]
        fillers = FILLERS_ZH if language != "en" else FILLERS_EN
        sentences += [(f, []) for f in rng.sample(fillers, rng.randint(0, max_fillers))]
        rng.shuffle(sentences)
        joiner = "" if language != "en" else " "
        context, offset, qas = "", 0, []
        for text, sentence_qas in sentences:
            if context:
                context += joiner
            offset = len(context)
            context += text
            qas += [(q, a, offset + start) for q, a, start in sentence_qas]
        question, answer, start = rng.choice(qas)
        examples.append(QAExample(question, context, answer, start))
    return examples


def course_example() -> QAExample:
    return QAExample(COURSE_QUESTION, COURSE_CONTEXT, COURSE_ANSWER, 0)


def vocabulary_texts() -> list[str]:
    """Every string the generator can emit, for building a vocabulary that covers them."""
    texts = [COURSE_QUESTION, COURSE_CONTEXT]
    for table in (PEOPLE_ZH, FIELDS_ZH, CITIES_ZH, THINGS_ZH, ORGS, LIBRARIES, KINDS_ZH, PEOPLE_EN,
                  CITIES_EN, THINGS_EN, FILLERS_ZH, FILLERS_EN):
        texts += table
    for template, questions in _ZH_PREDICATES + _EN_PREDICATES:
        texts.append(template)
        texts += [q for q, _ in questions]
    texts += ["是由谁开发的？开发了哪个", "是由开发的"]
    return texts
