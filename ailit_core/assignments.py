"""The course's assignments: id, the module file students fill in, and grading limits.

The ids and module names are fixed by the contracts; everything else about an assignment lives in
its folders (``solutions/<id>/``, ``autograder/<id>/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ailit_core import paths


@dataclass(frozen=True)
class Assignment:
    id: str
    module: str  # module name without ".py"
    title_en: str
    title_zh: str
    timeout_s: int  # wall-clock limit for one submission's whole hidden suite (fast profile)
    budget_s: int  # target hidden-suite test time per submission, fast profile, 2 cores (benchmarks/)

    @property
    def filename(self) -> str:
        return f"{self.module}.py"

    @property
    def solution_dir(self) -> Path:
        return paths.solutions_dir() / self.id

    @property
    def solution_path(self) -> Path:
        return self.solution_dir / self.filename

    @property
    def release_dir(self) -> Path:
        return paths.assignments_dir() / self.id

    @property
    def stub_path(self) -> Path:
        return self.release_dir / self.filename

    @property
    def hidden_tests_dir(self) -> Path:
        return paths.autograder_dir() / self.id

    def is_landed(self) -> bool:
        """True once the assignment has a reference solution and hidden tests in this checkout."""
        return self.solution_path.is_file() and self.hidden_tests_dir.is_dir()


ALL = (
    Assignment("a1_xor_backprop", "xor_net", "XOR with hand-written backpropagation",
               "手写反向传播解决异或问题", timeout_s=60, budget_s=10),
    Assignment("a2_iris", "iris_net", "IrisNet and classical baselines on Iris",
               "鸢尾花分类：IrisNet 与经典基线", timeout_s=120, budget_s=20),
    Assignment("a3_resnet_stem", "resnet_stem", "ResNet-18 stems for MNIST and CIFAR-10",
               "ResNet-18 适配 MNIST 与 CIFAR-10", timeout_s=300, budget_s=60),
    Assignment("a4_eval_loop", "eval_loop", "Evaluation loop, best weights, Tiny ImageNet layout",
               "评估循环、最佳权重与 Tiny ImageNet 目录整理", timeout_s=180, budget_s=30),
    Assignment("a5_qa_pipeline", "qa_pipeline", "Extractive question answering, by pipeline and by hand",
               "抽取式问答：pipeline 与手写实现", timeout_s=240, budget_s=40),
)

BY_ID = {a.id: a for a in ALL}


class UnknownAssignment(LookupError):
    pass


def get(assignment_id: str) -> Assignment:
    try:
        return BY_ID[assignment_id]
    except KeyError:
        known = ", ".join(BY_ID)
        raise UnknownAssignment(
            f"unknown assignment {assignment_id!r}; known assignments: {known}"
        ) from None


def landed() -> list[Assignment]:
    return [a for a in ALL if a.is_landed()]
