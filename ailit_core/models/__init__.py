"""Small models built offline for tests and grading (no model hub on the grading machines).

- ``qa_corpus``: generated question/context/answer triples (Chinese, English, mixed script);
- ``tiny_qa``: a tiny BERT extractive-QA model fine-tuned on them, saved as a real Hugging Face
  model folder and cached (``tiny_qa.model_dir()``).
"""
