import pytest
import torch

from ailit_core.testing import implementation_fixture

# The models here are tiny: one thread runs them ~15x faster than several threads fighting over a
# shared 2-core grading machine, and the grade cannot depend on the machine's core count.
torch.set_num_threads(1)

qa_pipeline = implementation_fixture("qa_pipeline")


def _quiet_transformers():
    from transformers.utils import logging

    logging.disable_progress_bar()
    logging.set_verbosity_error()


@pytest.fixture(scope="session")
def tiny_dir():
    """The tiny fine-tuned QA model folder (built offline once per machine, then cached)."""
    from ailit_core.models import tiny_qa

    _quiet_transformers()
    return tiny_qa.model_dir()


@pytest.fixture(scope="session")
def tokenizer(tiny_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_dir, local_files_only=True)


@pytest.fixture(scope="session")
def model(tiny_dir):
    from transformers import AutoModelForQuestionAnswering

    return AutoModelForQuestionAnswering.from_pretrained(tiny_dir, local_files_only=True).eval()


@pytest.fixture(scope="session")
def library_qa(model, tokenizer):
    """The library's own pipeline, built by the test (not by the student's load_qa)."""
    from transformers import pipeline

    return pipeline("question-answering", model=model, tokenizer=tokenizer, device="cpu")
