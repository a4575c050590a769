"""Seeding helpers: one call seeds Python, NumPy and (when already imported) torch."""

from __future__ import annotations

import random
import sys

import numpy as np


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    # Importing torch costs seconds; a NumPy-only assignment must not pay it just to be seeded.
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)
