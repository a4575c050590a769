"""a5_qa_pipeline hidden tests: the student's module in its own process, and what the tests compare with.

- ``qa_pipeline`` is a proxy to the student's module, which runs in a sandboxed server process
  (``ailit_core.grade.remote``): this process, with the tests and their oracles, never imports it.
- The tiny QA model fixture exists twice, loaded from the same folder: here (``model``,
  ``tokenizer``), for the oracle and for the library's own pipeline over it (``library_qa``, where
  the installed transformers has the "question-answering" task, up to 5.2; otherwise ``None`` and
  the tests compare with the oracle instead), and on the student's side (``student_model``,
  ``student_tokenizer``, handles), built there by the recipe ``a5_qa_model``: the student's
  ``extract_answer`` gets those.
- Torch runs single-threaded here: the models are tiny, one thread runs them ~15x faster than
  several fighting over a shared 2-core grading machine, and the grade cannot depend on the cores.

The fixture model is built (once per machine, then cached) and loaded when this file is imported:
the grader imports it in its trusted warm parent while collecting the tests, and every run inherits
the loaded model, tokenizer and pipeline instead of paying for them again.
"""

import pytest
import torch

# Loading a model imports torch._dynamo, which rebinds torch.manual_seed; importing it here, before
# the grader fingerprints torch, keeps that from looking like tampering.
import torch._dynamo  # noqa: F401
from transformers import AutoModelForQuestionAnswering, AutoTokenizer, pipeline
from transformers.pipelines import SUPPORTED_TASKS
from transformers.utils import logging

from ailit_core.grade import remote
from ailit_core.grade.remote import module_fixture
from ailit_core.models import tiny_qa

torch.set_num_threads(1)

logging.disable_progress_bar()
logging.set_verbosity_error()

# Built and loaded here, once, in the grader's warm parent: every run inherits them ready.
TINY_DIR = tiny_qa.model_dir()
TOKENIZER = AutoTokenizer.from_pretrained(TINY_DIR, local_files_only=True)
MODEL = AutoModelForQuestionAnswering.from_pretrained(TINY_DIR, local_files_only=True).eval()
# The library's own pipeline, where it exists: transformers 5.3 removed the "question-answering"
# task (building it then raised at import, and pytest could not start the suite).
HAS_QA_TASK = "question-answering" in SUPPORTED_TASKS
LIBRARY_QA = (pipeline("question-answering", model=MODEL, tokenizer=TOKENIZER, device="cpu")
              if HAS_QA_TASK else None)

# The stub imports transformers lazily (inside load_qa): the student warm parent imports it once
# for every server instead of each server paying it again.
qa_pipeline = module_fixture("qa_pipeline", preload=["transformers", "transformers:AutoModelForQuestionAnswering",
                                                     "transformers:AutoTokenizer", "transformers:pipeline"])


def pytest_collection_finish(session):
    """Resolve transformers' lazy alias modules now (``transformers.tokenization_utils_fast`` imports
    on attribute access), so that a later walk over ``sys.modules`` reading ``__file__`` (the grader's
    warm parent does one) does not import modules while it iterates."""
    import sys

    for module in list(sys.modules.values()):
        getattr(module, "__file__", None)


@pytest.fixture(scope="session", autouse=True)
def quiet_student_side(qa_pipeline):
    """No progress bars from transformers in the student's output (each model load draws one)."""
    remote.build("a5_quiet_transformers")


@pytest.fixture(scope="session")
def tiny_dir():
    """The tiny fine-tuned QA model folder, the same path in both processes (read-only: tests copy it
    before changing anything)."""
    return TINY_DIR


@pytest.fixture(scope="session")
def tokenizer():
    """The trusted side's tokenizer (for oracles)."""
    return TOKENIZER


@pytest.fixture(scope="session")
def model():
    """The trusted side's model (for oracles)."""
    return MODEL


@pytest.fixture(scope="session")
def library_qa():
    """The library's pipeline, here, or None where the installed transformers has no such task."""
    return LIBRARY_QA


@pytest.fixture(scope="session")
def student_pair(qa_pipeline):
    return remote.build("a5_qa_model", str(TINY_DIR))


@pytest.fixture(scope="session")
def student_model(student_pair):
    """A handle to the tiny model loaded on the student's side (what extract_answer is given)."""
    return student_pair[0]


@pytest.fixture(scope="session")
def student_tokenizer(student_pair):
    """A handle to the tiny model's tokenizer loaded on the student's side."""
    return student_pair[1]


@pytest.fixture(scope="session")
def stand_in_qa(qa_pipeline):
    """A handle to a pipeline-shaped callable on the student's side, for ``answer``; its replies are
    predicted here by ``ailit_core.grade.recipes.a5.stand_in_answer``."""
    return remote.build("a5_stand_in_qa")


@pytest.fixture(scope="session")
def network_log(qa_pipeline):
    """From the first load_qa test on, the student's process has no network (as in the sandbox, also
    when the suite runs unsandboxed); a handle to the log of its connection attempts (a probe)."""
    return remote.build("a5_block_network")
