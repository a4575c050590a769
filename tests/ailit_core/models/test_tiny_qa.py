"""The tiny QA fixture: a real Hugging Face model folder, loadable offline by the Auto classes and the
pipeline, readable by other users (the grader's sandbox), reproducible, and cached once."""

import json
import stat

import pytest

from ailit_core.models import tiny_qa

FILES = {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
         tiny_qa.QUALITY_FILE}


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    """A few training steps only: the folder's form, not the model's quality, is under test here."""
    folder = tmp_path_factory.mktemp("tiny-qa")
    report = tiny_qa.build(folder, steps=3, examples=64, eval_examples=8, course_copies=1)
    return folder, report


def test_folder_is_a_complete_model_folder_readable_by_others(small_build):
    folder, report = small_build
    assert FILES <= {p.name for p in folder.iterdir()}
    for path in [folder, *folder.iterdir()]:
        assert path.stat().st_mode & stat.S_IROTH, f"{path.name} is not readable by other users"
    assert json.loads((folder / tiny_qa.QUALITY_FILE).read_text())["train"]["steps"] == 3
    assert 0.0 <= report["held_out_exact_match"] <= 1.0


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # raised inside transformers' pipeline code
def test_loads_offline_with_auto_classes_and_pipeline(small_build):
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer, pipeline

    folder, _ = small_build
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForQuestionAnswering.from_pretrained(folder, local_files_only=True)
    assert tokenizer.is_fast and tokenizer.model_max_length == 512
    assert model.config.hidden_size == tiny_qa.CONFIG["hidden_size"]
    qa = pipeline("question-answering", model=str(folder), tokenizer=str(folder), device="cpu")
    result = qa(question="谁是人工智能之父？", context="艾伦·图灵是人工智能之父。")
    assert set(result) == {"answer", "score", "start", "end"}
    enc = tokenizer("谁？", "Alan Turing 用 PyTorch", return_offsets_mapping=True)
    pieces = tokenizer.convert_ids_to_tokens(enc["input_ids"])
    assert pieces[pieces.index("py"):pieces.index("##ch") + 1] == ["py", "##tor", "##ch"]


def test_same_seed_gives_the_same_weights(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        tiny_qa.build(folder, steps=2, examples=32, eval_examples=4, course_copies=1)
    assert (first / "model.safetensors").read_bytes() == (second / "model.safetensors").read_bytes()
    assert (first / "tokenizer.json").read_bytes() == (second / "tokenizer.json").read_bytes()


def test_model_dir_builds_once_into_the_fixture_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AILIT_FIXTURES", str(tmp_path))
    calls = []

    def fake_build(folder):
        calls.append(folder)
        (folder / "config.json").write_text("{}")

    monkeypatch.setattr(tiny_qa, "build", fake_build)
    first = tiny_qa.model_dir()
    second = tiny_qa.model_dir()
    assert first == second == tmp_path / tiny_qa.FIXTURE_NAME
    assert len(calls) == 1 and (first / "config.json").is_file()


def test_model_dir_announces_a_build_only(tmp_path, monkeypatch):
    monkeypatch.setenv("AILIT_FIXTURES", str(tmp_path))
    monkeypatch.setattr(tiny_qa, "build", lambda folder: (folder / "config.json").write_text("{}"))
    notices = []
    assert not tiny_qa.is_built()
    tiny_qa.model_dir(announce=notices.append)
    tiny_qa.model_dir(announce=notices.append)
    assert tiny_qa.is_built() and len(notices) == 1 and "首次" in notices[0] and "first use" in notices[0]
