"""a4_eval_loop figures: the reference's fast-profile run (accuracy, training time) and the cost of
preparing a Tiny-ImageNet-format tree (seconds per 1000 images, first run and idempotent re-run).

Usage: python benchmarks/a4_eval_loop.py [--classes N] [--train-per-class N] [--val-per-class N] [--skip-training]
The hidden suite's own time is printed by benchmarks/hidden_suites.py a4_eval_loop.
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

from ailit_core import assignments
from ailit_core.data.tiny_imagenet import write_raw_tree


def reference():
    path = assignments.get("a4_eval_loop").solution_path
    spec = importlib.util.spec_from_file_location("a4_reference_eval_loop", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--train-per-class", type=int, default=100)
    parser.add_argument("--val-per-class", type=int, default=20)
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    eval_loop = reference()
    with tempfile.TemporaryDirectory(prefix="a4-bench-") as tmp:
        root = Path(tmp) / "tiny-imagenet-200"
        started = time.perf_counter()
        write_raw_tree(root, num_classes=args.classes, train_per_class=args.train_per_class,
                       val_per_class=args.val_per_class, test_images=0)
        n = args.classes * (args.train_per_class + args.val_per_class)
        print(f"generated {n} images in {time.perf_counter() - started:.1f} s")
        for label in ("prepare (first run)", "prepare (re-run)  "):
            started = time.perf_counter()
            eval_loop.prepare_tiny_imagenet(root)
            seconds = time.perf_counter() - started
            print(f"{label}: {seconds:.2f} s, {1000 * seconds / n:.3f} s per 1000 images")
        if not args.skip_training:
            started = time.perf_counter()
            out = eval_loop.main(["--profile", "fast", "--out", str(Path(tmp) / "run")])
            print(f"fast profile run: best val accuracy {out['result']['accuracy']:.4f}, training "
                  f"{out['seconds']:.1f} s, whole run {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
