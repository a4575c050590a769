"""Each a5 hidden test fails on the stub and on at least one realistic mistake, and each mistake is
charged once: ``spares`` lists the tests of the functions that are still right (a wrong ``best_span``
must not fail the ``extract_answer``, fallback or ``load_qa`` tests; a wrong ``extract_answer`` not
the fallback's top_k=1 or ``load_qa``'s; a wrong fallback not ``load_qa``'s...).

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
FALLBACK_RETURN = "    if not has_qa_task():  # transformers 5.3+\n        return ByHandPipeline(model, tokenizer)\n"
LIBRARY_RETURN = "    return pipeline(\"question-answering\", model=model, tokenizer=tokenizer, device=model.device)\n"

# The hidden tests by the function they grade (for ``spares``: the tests of the functions a mistake leaves right).
LOAD = ("test_load_qa_refuses_missing_folder", "test_load_qa_names_missing_files",
        "test_load_qa_local_pipeline_on_device", "test_load_qa_stays_offline")
ANSWER = ("test_answer_returns_the_pipeline_result",)
SPAN = ("test_best_span_matches_brute_force", "test_best_span_order_and_length_limit",
        "test_best_span_beyond_the_top_20", "test_best_span_score_is_product_of_softmaxes")
EXTRACT = ("test_extract_answer_matches_pipeline", "test_extract_answer_only_context_tokens",
           "test_extract_answer_maps_offsets_exactly", "test_extract_answer_long_context_windows",
           "test_extract_answer_respects_max_answer_len", "test_exact_match_on_generated_questions")
FALLBACK = ("test_fallback_pipeline_answers_as_extract_answer", "test_fallback_pipeline_top_k",
            "test_fallback_pipeline_impossible_answer")
EMPTY = ("test_empty_question_or_context_raises",)


def others(*groups, but=()):
    """Every test outside ``groups`` and ``but``: they grade functions the mistake leaves right."""
    mine = {t for g in groups for t in g} | set(but)
    return tuple(t for g in (LOAD, ANSWER, SPAN, EXTRACT, FALLBACK, EMPTY) for t in g if t not in mine)


MUTANTS = [
    # load_qa
    Mutant("no_file_checks",
           (("    if not folder.is_dir():\n        raise", "    if False:\n        raise"),
            ("    if missing:\n        raise", "    if False:\n        raise")),
           kills=("test_load_qa_refuses_missing_folder", "test_load_qa_names_missing_files"),
           why="relies on transformers' errors: a missing folder becomes a Hub download, a missing tokenizer passes",
           spares=others(LOAD)),
    Mutant("hub_connectivity_check",
           (("    folder = Path(model_dir).expanduser()\n",
             "    import urllib.request\n"
             "    try:  # online? then a missing folder could be downloaded instead\n"
             "        urllib.request.urlopen(\"https://huggingface.co\", timeout=3).close()\n"
             "    except OSError:\n"
             "        pass\n"
             "    folder = Path(model_dir).expanduser()\n"),),
           kills=("test_load_qa_stays_offline",),
           why="asks the Hub whether it is online before loading (offline, it then behaves correctly)",
           spares=others(LOAD)),
    Mutant("checks_config_only",
           (("    if missing:\n        raise", "    if CONFIG_FILE in missing:\n        raise"),),
           kills=("test_load_qa_names_missing_files",), why="only config.json is checked",
           spares=others(LOAD)),
    Mutant("device_ignored",
           (('    if device is None:\n        device = "cuda"', '    if True:\n        device = "cuda"'),),
           kills=("test_load_qa_local_pipeline_on_device",),
           why="device argument ignored (CUDA when available, else the CPU), on both sides of transformers 5.3",
           spares=others(LOAD)),
    Mutant("tokenizer_from_hub",
           (("AutoTokenizer.from_pretrained(folder, local_files_only=True)",
             'AutoTokenizer.from_pretrained("uer/roberta-base-chinese-extractive-qa")'),),
           kills=("test_load_qa_local_pipeline_on_device", "test_course_example_on_real_model"),
           why="the tokenizer is fetched from the Hub by name",
           spares=others(LOAD)),
    # answer
    Mutant("answer_end_minus_one", (('"end": int(result["end"])', '"end": int(result["end"]) - 1'),),
           kills=("test_answer_returns_the_pipeline_result",), why="inclusive end index",
           spares=others(ANSWER)),
    Mutant("answer_arguments_swapped",
           (("qa(question=question, context=context)", "qa(question=context, context=question)"),),
           kills=("test_answer_returns_the_pipeline_result", "test_course_example_on_real_model"),
           why="question and context swapped",
           spares=others(ANSWER)),
    # best_span
    Mutant("end_before_start_allowed", ((BAND, BAND.replace(".triu()", "")),),
           kills=("test_best_span_matches_brute_force", "test_best_span_order_and_length_limit"),
           why="no start <= end check",
           spares=others(SPAN)),
    Mutant("no_length_limit", ((BAND, BAND.replace(".tril(max_answer_len - 1)", "")),),
           kills=("test_best_span_matches_brute_force", "test_best_span_order_and_length_limit"),
           why="max_answer_len ignored",
           spares=others(SPAN)),
    Mutant("length_limit_off_by_one", ((BAND, BAND.replace("tril(max_answer_len - 1)", "tril(max_answer_len)")),),
           kills=("test_best_span_order_and_length_limit",), why="end - start <= max_answer_len",
           spares=others(SPAN)),
    Mutant("n_best_shortcut",
           ((ARGMAX, "    top_s = torch.topk(start, min(20, n)).indices.tolist()\n"
                     "    top_e = torch.topk(end, min(20, n)).indices.tolist()\n"
                     "    s, e = max(((i, j) for i in top_s for j in top_e if allowed[i, j]),\n"
                     "               key=lambda pair: float(scores[pair]), default=(0, 0))"),),
           kills=("test_best_span_beyond_the_top_20",),
           why="only the 20 highest start and end logits are paired (the n-best shortcut)",
           spares=others(SPAN)),
    Mutant("score_is_sum", ((PRODUCT, PRODUCT.replace(" * ", " + ")),),
           kills=("test_best_span_matches_brute_force", "test_best_span_score_is_product_of_softmaxes"),
           why="p_start + p_end instead of the product",
           spares=others(SPAN)),
    Mutant("score_from_logits", ((PRODUCT, "start[:, None] + end[None, :]"),),
           kills=("test_best_span_matches_brute_force", "test_best_span_score_is_product_of_softmaxes"),
           why="raw logits (same argmax, but no probability)",
           spares=others(SPAN)),
    # extract_answer
    Mutant("softmax_over_whole_window",
           ((BEST_SPAN_CALL, BEST_SPAN_CALL + "\n"
             "        whole_s = torch.softmax(output.start_logits[window].double(), 0)[context_tokens]\n"
             "        whole_e = torch.softmax(output.end_logits[window].double(), 0)[context_tokens]\n"
             "        score = float(whole_s[s] * whole_e[e])"),),
           kills=("test_extract_answer_matches_pipeline", "test_extract_answer_only_context_tokens"),
           why="question, [CLS], [SEP] and padding kept in the softmax",
           spares=others(EXTRACT)),
    Mutant("no_context_mask",
           ((CONTEXT_TOKENS, "context_tokens = list(range(len(offsets[window])))"),),
           kills=("test_extract_answer_only_context_tokens", "test_extract_answer_matches_pipeline"),
           why="question and special tokens may be chosen",
           spares=others(EXTRACT)),
    Mutant("token_type_mask",
           ((CONTEXT_TOKENS, 'context_tokens = [i for i, t in enumerate(encoding["token_type_ids"][window].tolist()) if t == 1]'),),
           kills=("test_extract_answer_only_context_tokens",), why="token_type_ids == 1 also marks the last [SEP]",
           spares=others(EXTRACT)),
    Mutant("end_offset_of_token_start",
           (("end = offsets[window][context_tokens[e]][1]", "end = offsets[window][context_tokens[e]][0]"),),
           kills=("test_extract_answer_maps_offsets_exactly", "test_extract_answer_matches_pipeline"),
           why="end taken from the start of the last token",
           spares=others(EXTRACT)),
    Mutant("decoded_answer",
           (('best = {"answer": context[start:end],',
             'best = {"answer": tokenizer.decode(encoding["input_ids"][window][context_tokens[s]:context_tokens[e] + 1]),'),),
           kills=("test_extract_answer_maps_offsets_exactly", "test_exact_match_on_generated_questions",
                  "test_course_example_on_real_model"),
           why="answer decoded from tokens instead of sliced from the context",
           spares=others(EXTRACT)),
    Mutant("first_window_only", (("    best = None\n    for window in range(len(offsets)):",
                                  "    best = None\n    for window in range(1):"),),
           kills=("test_extract_answer_long_context_windows",), why="later windows never searched",
           spares=others(EXTRACT)),
    Mutant("last_window_wins", (('if best is None or score > best["score"]:', "if True:"),),
           kills=("test_extract_answer_long_context_windows",), why="each window overwrites the answer",
           spares=others(EXTRACT)),
    Mutant("no_overlap", (("stride=doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True",
                            "return_overflowing_tokens=True, return_offsets_mapping=True"),),
           kills=("test_extract_answer_long_context_windows",), why="windows without doc_stride overlap",
           spares=others(EXTRACT)),
    Mutant("max_answer_len_not_passed",
           ((BEST_SPAN_CALL, BEST_SPAN_CALL.replace(", max_answer_len)", ")")),),
           kills=("test_extract_answer_respects_max_answer_len",), why="the default 15 always used",
           spares=others(EXTRACT)),
    Mutant("no_token_type_ids",
           (("output = model(**{name: tensor.to(device) for name, tensor in encoding.items()})",
             'output = model(input_ids=encoding["input_ids"].to(device), attention_mask=encoding["attention_mask"].to(device))'),),
           kills=("test_extract_answer_matches_pipeline",), why="the model is not told which tokens are the context",
           spares=others(EXTRACT)),
    Mutant("no_empty_check",
           (("    _require_text(question, context)\n    encoding = tokenizer(", "    encoding = tokenizer("),),
           kills=("test_empty_question_or_context_raises",), why="empty input not rejected",
           spares=others(EMPTY)),
    Mutant("empty_check_names_the_other",
           (('for name, value in (("question", question), ("context", context)):',
             'for name, value in (("context", question), ("question", context)):'),),
           kills=("test_empty_question_or_context_raises",),
           why="the error for an empty question says the context is empty (and the other way round)",
           spares=others(EMPTY)),
    # load_qa's fallback path (seen on 5.2 with the task hidden)
    Mutant("fallback_arguments_swapped",
           ((FALLBACK_RETURN, FALLBACK_RETURN.replace("ByHandPipeline(model, tokenizer)", "ByHandPipeline(tokenizer, model)")),),
           kills=("test_load_qa_local_pipeline_on_device",),
           why="the fallback gets tokenizer and model the wrong way round", spares=others(LOAD)),
    Mutant("fallback_model_not_on_device",
           (("    model = model.to(device).eval()\n" + FALLBACK_RETURN,
             "    model = model.eval()\n" + FALLBACK_RETURN + "    model = model.to(device)\n"),),
           kills=("test_load_qa_local_pipeline_on_device",),
           why="only the library's pipeline is put on device; the fallback's model stays on the CPU",
           spares=others(LOAD)),
    # ByHandPipeline (the fallback pipeline)
    Mutant("fallback_options_dropped",
           (("return extract_answer(self.model, self.tokenizer, question, context, max_answer_len, max_seq_len,\n"
             "                                  doc_stride)",
             "return extract_answer(self.model, self.tokenizer, question, context)"),),
           kills=("test_fallback_pipeline_answers_as_extract_answer",),
           why="max_answer_len, max_seq_len and doc_stride not passed on to extract_answer",
           spares=others(FALLBACK, but=("test_fallback_pipeline_answers_as_extract_answer",))),
    Mutant("top_k_first_window_only",
           (("spans, null_score = {}, None  # (start char, end char) -> best score over the windows\n"
             "        for window in range(len(offsets)):",
             "spans, null_score = {}, None\n        for window in range(1):"),),
           kills=("test_fallback_pipeline_top_k",), why="top_k searches the first window only",
           spares=others(but=("test_fallback_pipeline_top_k",))),
    Mutant("top_k_unsorted",
           (('answers = sorted(answers, key=lambda found: -found["score"])[:top_k]', "answers = answers[:top_k]"),),
           kills=("test_fallback_pipeline_top_k",), why="the k answers are not sorted best first (nor the best k)",
           spares=others(but=("test_fallback_pipeline_top_k", "test_fallback_pipeline_impossible_answer"))),
    Mutant("impossible_answer_ignored",
           (("        if handle_impossible_answer:\n            answers.append(",
             "        if False:\n            answers.append("),),
           kills=("test_fallback_pipeline_impossible_answer",),
           why="handle_impossible_answer never lets the empty answer in",
           spares=others(but=("test_fallback_pipeline_impossible_answer",))),
    Mutant("impossible_cls_outside_softmax",
           (("            chosen = [0, *tokens] if handle_impossible_answer else tokens",
             "            chosen = tokens"),
            ("                null = float(p_start[0] * p_end[0])",
             "                null = float(torch.sigmoid(output.start_logits[window, 0]) * torch.sigmoid(output.end_logits[window, 0]))"),
            ("                p_start, p_end = p_start[1:], p_end[1:]\n", "")),
           kills=("test_fallback_pipeline_impossible_answer",),
           why="[CLS] scored apart from the context tokens' softmax",
           spares=others(but=("test_fallback_pipeline_impossible_answer",))),
    # correct variants: other ways to pick the fallback
    Mutant("fallback_when_pipeline_raises_keyerror",
           ((FALLBACK_RETURN, ""),
            (LIBRARY_RETURN, "    try:\n    " + LIBRARY_RETURN + "    except KeyError:  # transformers 5.3+\n"
                             "        return ByHandPipeline(model, tokenizer)\n")),
           kills=(), why="load_qa tries the library's task and falls back on its KeyError"),
    Mutant("fallback_by_version_number",
           ((FALLBACK_RETURN, FALLBACK_RETURN.replace(
               "    if not has_qa_task():",
               "    import transformers\n"
               "    if tuple(int(p) for p in transformers.__version__.split(\".\")[:2]) >= (5, 3):")),),
           kills=(), why="load_qa picks the fallback by transformers' version number (5.3+)"),
]

# Generated mutants (``ailit mutate``) that are no mistake: left out of the score.
EQUIVALENT = {
    "extract_answer/compare/3": "`>=` between windows: on a tie either span is a right answer (the tests accept any span "
                                "within 1e-5 of the best score)",
    "ByHandPipeline.__call__/compare/4": "`score > 0` for `score >= 0`: a kept span scores a product of two softmax "
                                        "probabilities, > 0 (masked spans score -1); only an underflow to exactly 0 "
                                        "differs",
    "best_span/drop_method/1": "both logit vectors come from one model output, on one device: the move is a guard that "
                               "no caller needs, and leaving it out is no mistake",
}

# Realistic mistakes no hidden test can catch on a CPU-only grader: reported apart, with the reason.
ACCEPTED = {
    "extract_answer/no_grad/1": "autograd left on for the model call: the same answers, only more memory; the README "
                                "does not ask for torch.no_grad(), so it is not charged",
    "ByHandPipeline.__call__/no_grad/1": "autograd left on for the model call: the same answers, only more memory "
                                         "(not asked for by the README)",
    "extract_answer/drop_method/1": "inputs not moved to the model's device: on a CPU grader every device is the CPU, "
                                    "and a correct extract_answer may create them there without .to(); on a GPU the "
                                    "model call raises at once",
    "ByHandPipeline.__call__/drop_method/1": "inputs not moved to the model's device: invisible on a CPU grader; on a "
                                             "GPU the model call raises at once",
    "load_qa/bool_arg/1": "local_files_only=False for the tokenizer after load_qa's own folder and file checks: a "
                          "complete local folder is read from disk without asking the Hub (test_load_qa_stays_offline "
                          "sees no connection attempt)",
    "load_qa/bool_arg/2": "local_files_only=False for the model after load_qa's own folder and file checks: read from "
                          "disk without asking the Hub (test_load_qa_stays_offline sees no connection attempt)",
}
