"""ailit_core: the small shared library that stubs, reference solutions, hidden tests and the
grading tools use.

Importing this package is cheap on purpose (no torch): assignment a1 is NumPy-only and the grader
imports it before it knows which assignment it grades. Heavy modules (``device``) import torch
lazily.
"""

__version__ = "0.1.0"
