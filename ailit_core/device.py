"""Device selection as in the course notes: CUDA, then Apple MPS, then CPU.

``AILIT_DEVICE`` (e.g. ``cpu``, ``cuda:1``) overrides the choice; ``CUDA_VISIBLE_DEVICES=""`` hides
CUDA from torch itself, so it is respected without code here.
"""

from __future__ import annotations

import os

ENV_VAR = "AILIT_DEVICE"


def select_device(preferred: str | None = None):
    import torch

    choice = preferred or os.environ.get(ENV_VAR, "").strip()
    if choice:
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
