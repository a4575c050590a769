"""Each a5 hidden test fails on the stub and on at least one realistic mistake.

The runner's engine starts with ``AILIT_QA_MODEL`` pointing at the tiny fixture model (which answers
the course's example), so the real-model test runs too and is proved able to fail.
"""

from ailit_core.models import tiny_qa
from ailit_core.mutate.catalogue import Mutant

ID = "a5_qa_pipeline"
RUNNER_OPTIONS = dict(env={"AILIT_QA_MODEL": lambda: str(tiny_qa.model_dir())})  # built when the engine starts

CONTEXT_TOKENS = "context_tokens = [i for i, seq in enumerate(encoding.sequence_ids(window)) if seq == 1]"
BEST_SPAN_CALL = ("s, e, score = best_span(output.start_logits[window, context_tokens],\n"
                  "                                output.end_logits[window, context_tokens], max_answer_len)")
PRODUCT = "torch.softmax(start, dim=0)[:, None] * torch.softmax(end, dim=0)[None, :]"
BAND = "torch.ones(n, n, dtype=torch.bool, device=start.device).triu().tril(max_answer_len - 1)"
ARGMAX = "    s, e = divmod(int(torch.argmax(scores)), n)"

MUTANTS = [
    # load_qa
    Mutant("no_file_checks",
           (("    if not folder.is_dir():\n        raise", "    if False:\n        raise"),
            ("    if missing:\n        raise", "    if False:\n        raise")),
           kills=("test_load_qa_refuses_missing_folder", "test_load_qa_names_missing_files"),
           why="relies on transformers' errors: a missing folder becomes a Hub download, a missing tokenizer passes"),
    Mutant("hub_connectivity_check",
           (("    folder = Path(model_dir).expanduser()\n",
             "    import urllib.request\n"
             "    try:  # online? then a missing folder could be downloaded instead\n"
             "        urllib.request.urlopen(\"https://huggingface.co\", timeout=3).close()\n"
             "    except OSError:\n"
             "        pass\n"
             "    folder = Path(model_dir).expanduser()\n"),),
           kills=("test_load_qa_stays_offline",),
           why="asks the Hub whether it is online before loading (offline, it then behaves correctly)"),
    Mutant("checks_config_only",
           (("    if missing:\n        raise", "    if CONFIG_FILE in missing:\n        raise"),),
           kills=("test_load_qa_names_missing_files",), why="only config.json is checked"),
    Mutant("device_ignored",
           (('    if device is None:\n        device = "cuda"', '    if True:\n        device = "cuda"'),),
           kills=("test_load_qa_local_pipeline_on_device",),
           why="device argument ignored (CUDA when available, else the CPU), on both sides of transformers 5.3"),
    Mutant("tokenizer_from_hub",
           (("AutoTokenizer.from_pretrained(folder, local_files_only=True)",
             'AutoTokenizer.from_pretrained("uer/roberta-base-chinese-extractive-qa")'),),
           kills=("test_load_qa_local_pipeline_on_device", "test_course_example_on_real_model"),
           why="the tokenizer is fetched from the Hub by name"),
    # answer
    Mutant("answer_end_minus_one", (('"end": int(result["end"])', '"end": int(result["end"]) - 1'),),
           kills=("test_answer_returns_the_pipeline_result",), why="inclusive end index"),
    Mutant("answer_arguments_swapped",
           (("qa(question=question, context=context)", "qa(question=context, context=question)"),),
           kills=("test_answer_returns_the_pipeline_result", "test_course_example_on_real_model"),
           why="question and context swapped"),
    # best_span
    Mutant("end_before_start_allowed", ((BAND, BAND.replace(".triu()", "")),),
           kills=("test_best_span_matches_brute_force", "test_best_span_order_and_length_limit"),
           why="no start <= end check"),
    Mutant("no_length_limit", ((BAND, BAND.replace(".tril(max_answer_len - 1)", "")),),
           kills=("test_best_span_matches_brute_force", "test_best_span_order_and_length_limit",
                  "test_extract_answer_respects_max_answer_len"),
           why="max_answer_len ignored"),
    Mutant("length_limit_off_by_one", ((BAND, BAND.replace("tril(max_answer_len - 1)", "tril(max_answer_len)")),),
           kills=("test_best_span_order_and_length_limit",), why="end - start <= max_answer_len"),
    Mutant("n_best_shortcut",
           ((ARGMAX, "    top_s = torch.topk(start, min(20, n)).indices.tolist()\n"
                     "    top_e = torch.topk(end, min(20, n)).indices.tolist()\n"
                     "    s, e = max(((i, j) for i in top_s for j in top_e if allowed[i, j]),\n"
                     "               key=lambda pair: float(scores[pair]), default=(0, 0))"),),
           kills=("test_best_span_beyond_the_top_20",),
           why="only the 20 highest start and end logits are paired (the n-best shortcut)"),
    Mutant("score_is_sum", ((PRODUCT, PRODUCT.replace(" * ", " + ")),),
           kills=("test_best_span_matches_brute_force", "test_best_span_score_is_product_of_softmaxes",
                  "test_extract_answer_matches_pipeline"),
           why="p_start + p_end instead of the product"),
    Mutant("score_from_logits", ((PRODUCT, "start[:, None] + end[None, :]"),),
           kills=("test_best_span_matches_brute_force", "test_best_span_score_is_product_of_softmaxes"),
           why="raw logits (same argmax, but no probability)"),
    # extract_answer
    Mutant("softmax_over_whole_window",
           ((BEST_SPAN_CALL, BEST_SPAN_CALL + "\n"
             "        whole_s = torch.softmax(output.start_logits[window].double(), 0)[context_tokens]\n"
             "        whole_e = torch.softmax(output.end_logits[window].double(), 0)[context_tokens]\n"
             "        score = float(whole_s[s] * whole_e[e])"),),
           kills=("test_extract_answer_matches_pipeline", "test_extract_answer_only_context_tokens"),
           why="question, [CLS], [SEP] and padding kept in the softmax"),
    Mutant("no_context_mask",
           ((CONTEXT_TOKENS, "context_tokens = list(range(len(offsets[window])))"),),
           kills=("test_extract_answer_only_context_tokens", "test_extract_answer_matches_pipeline"),
           why="question and special tokens may be chosen"),
    Mutant("token_type_mask",
           ((CONTEXT_TOKENS, 'context_tokens = [i for i, t in enumerate(encoding["token_type_ids"][window].tolist()) if t == 1]'),),
           kills=("test_extract_answer_only_context_tokens",), why="token_type_ids == 1 also marks the last [SEP]"),
    Mutant("end_offset_of_token_start",
           (("end = offsets[window][context_tokens[e]][1]", "end = offsets[window][context_tokens[e]][0]"),),
           kills=("test_extract_answer_maps_offsets_exactly", "test_extract_answer_matches_pipeline"),
           why="end taken from the start of the last token"),
    Mutant("decoded_answer",
           (('best = {"answer": context[start:end],',
             'best = {"answer": tokenizer.decode(encoding["input_ids"][window][context_tokens[s]:context_tokens[e] + 1]),'),),
           kills=("test_extract_answer_maps_offsets_exactly", "test_exact_match_on_generated_questions",
                  "test_course_example_on_real_model"),
           why="answer decoded from tokens instead of sliced from the context"),
    Mutant("first_window_only", (("for window in range(len(offsets)):", "for window in range(1):"),),
           kills=("test_extract_answer_long_context_windows",), why="later windows never searched"),
    Mutant("last_window_wins", (('if best is None or score > best["score"]:', "if True:"),),
           kills=("test_extract_answer_long_context_windows",), why="each window overwrites the answer"),
    Mutant("no_overlap", (("stride=doc_stride, ", ""),),
           kills=("test_extract_answer_long_context_windows",), why="windows without doc_stride overlap"),
    Mutant("max_answer_len_not_passed",
           ((BEST_SPAN_CALL, BEST_SPAN_CALL.replace(", max_answer_len)", ")")),),
           kills=("test_extract_answer_respects_max_answer_len",), why="the default 15 always used"),
    Mutant("no_token_type_ids",
           (("output = model(**{name: tensor.to(device) for name, tensor in encoding.items()})",
             'output = model(input_ids=encoding["input_ids"].to(device), attention_mask=encoding["attention_mask"].to(device))'),),
           kills=("test_extract_answer_matches_pipeline",), why="the model is not told which tokens are the context"),
    Mutant("no_empty_check",
           (("    _require_text(question, context)\n    encoding = tokenizer(", "    encoding = tokenizer("),),
           kills=("test_empty_question_or_context_raises",), why="empty input not rejected"),
]
