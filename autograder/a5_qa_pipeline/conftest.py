"""a5_qa_pipeline hidden tests: the implementation under test, the tiny QA model fixture, the
library's own pipeline over it where the installed transformers has the "question-answering" task
(up to 5.2; otherwise ``None``, and the tests compare with the oracle instead), and single-threaded torch.

The fixture model is built (once per machine, then cached) and loaded when this file is imported:
the grader imports it in its warm parent while collecting the tests, before any run starts in its
read-only sandbox (where the fixture folder could no longer be written), and every run inherits the
loaded model, tokenizer and pipeline instead of paying for them again.
"""

import pytest
import torch

# Loading a model imports torch._dynamo, which rebinds torch.manual_seed; importing it here, before
# the grader fingerprints torch, keeps that from looking like tampering by the submission.
import torch._dynamo  # noqa: F401
from transformers import AutoModelForQuestionAnswering, AutoTokenizer, pipeline
from transformers.pipelines import SUPPORTED_TASKS
from transformers.utils import logging

from ailit_core.models import tiny_qa
from ailit_core.testing import implementation_fixture

# The models here are tiny: one thread runs them ~15x faster than several threads fighting over a
# shared 2-core grading machine, and the grade cannot depend on the machine's core count.
torch.set_num_threads(1)

logging.disable_progress_bar()
logging.set_verbosity_error()

# Built and loaded here, once, in the grader's warm parent: every run inherits them ready.
TINY_DIR = tiny_qa.model_dir()
TOKENIZER = AutoTokenizer.from_pretrained(TINY_DIR, local_files_only=True)
MODEL = AutoModelForQuestionAnswering.from_pretrained(TINY_DIR, local_files_only=True).eval()
# The library's own pipeline, built by the tests (not by the student's load_qa), where it exists:
# transformers 5.3 removed the "question-answering" task (building it then raised at import, and
# pytest could not start the suite).
HAS_QA_TASK = "question-answering" in SUPPORTED_TASKS
LIBRARY_QA = (pipeline("question-answering", model=MODEL, tokenizer=TOKENIZER, device="cpu")
              if HAS_QA_TASK else None)

qa_pipeline = implementation_fixture("qa_pipeline")


def pytest_collection_finish(session):
    """Resolve transformers' lazy alias modules now (``transformers.tokenization_utils_fast`` imports
    on attribute access), so that a later walk over ``sys.modules`` reading ``__file__`` (the grader's
    warm parent does one) does not import modules while it iterates."""
    import sys

    for module in list(sys.modules.values()):
        getattr(module, "__file__", None)


@pytest.fixture(scope="session")
def tiny_dir():
    """The tiny fine-tuned QA model folder (read-only: tests copy it before changing anything)."""
    return TINY_DIR


@pytest.fixture(scope="session")
def tokenizer():
    return TOKENIZER


@pytest.fixture(scope="session")
def model():
    return MODEL


@pytest.fixture(scope="session")
def library_qa():
    """The library's pipeline, or None where the installed transformers has no such task."""
    return LIBRARY_QA


@pytest.fixture(scope="session")
def reference_qa():
    """A question-answering callable to hand to the student's ``answer``: the library's pipeline
    where it exists, otherwise the oracle behind the pipeline's call interface."""
    from a5_oracle import OracleQA

    return LIBRARY_QA if LIBRARY_QA is not None else OracleQA(MODEL, TOKENIZER)
