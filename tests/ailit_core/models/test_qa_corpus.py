"""The generated QA corpus: reproducible, answers at their offsets, every language present, and a
vocabulary that covers it (no [UNK] for anything the generator writes)."""

from collections import Counter

from ailit_core.models import qa_corpus, tiny_qa


def test_same_seed_same_examples_other_seed_others():
    assert qa_corpus.generate(30, 1) == qa_corpus.generate(30, 1)
    assert qa_corpus.generate(30, 1) != qa_corpus.generate(30, 2)


def test_answers_sit_at_their_offsets_and_are_unambiguous_slots():
    for e in qa_corpus.generate(300, 3):
        assert e.question and e.context
        assert e.context[e.answer_start:e.answer_end] == e.answer
        assert e.answer not in e.question


def test_languages_and_course_example():
    examples = qa_corpus.generate(400, 4)
    kinds = Counter("en" if e.question.endswith("?") else "mixed" if any(c.isascii() and c.isalpha() for c in e.context)
                    else "zh" for e in examples)
    assert kinds["zh"] > 100 and kinds["en"] > 30 and kinds["mixed"] > 30, kinds
    course = qa_corpus.course_example()
    assert (course.answer_start, course.answer_end) == (0, 5)
    assert course.context[0:5] == "艾伦·图灵"


def test_size_limits_are_respected():
    for e in qa_corpus.generate(200, 5, max_facts=1, max_fillers=0):
        assert e.context.count("。") + e.context.count(". ") + e.context.endswith(".") <= 2


def test_vocabulary_covers_the_corpus_and_splits_some_words(tmp_path):
    vocab = tiny_qa.build_vocabulary()
    assert len(vocab) == len(set(vocab))
    assert vocab[:5] == list(tiny_qa.SPECIAL_TOKENS)
    tokenizer = tiny_qa.write_tokenizer(tmp_path)
    texts = [t for e in qa_corpus.generate(200, 6) for t in (e.question, e.context)]
    texts += [qa_corpus.COURSE_QUESTION, qa_corpus.COURSE_CONTEXT]
    unknown = [t for t in texts if tokenizer.unk_token in tokenizer.tokenize(t)]
    assert not unknown, unknown[:3]
    assert tokenizer.tokenize("PyTorch") == ["py", "##tor", "##ch"]
    assert tokenizer.tokenize("艾伦·图灵") == ["艾", "伦", "·", "图", "灵"]
