"""Shared tools of the a4 hidden tests: oracles, models with known behaviour and their copies on the
student's side, the best-weights training scenario with its trusted replay, and Tiny ImageNet trees.
Nothing here is shown to students, and nothing here runs in the student's process: models, loaders
and optimizers are built there from recipes (``ailit_core/grade/recipes/a4.py``) and judged here.
"""

from __future__ import annotations

import copy
import hashlib
import os
import stat
import uuid
from pathlib import Path

import torch
from PIL import Image
from torch import nn

from ailit_core.data.tiny_imagenet import write_raw_tree
from ailit_core.grade import remote

# Everything the tests need is imported while pytest collects, before the grader locks the run down
# (a sandboxed run may not import new modules from the project); PIL loads its JPEG writer lazily.
Image.preinit()

CPU = torch.device("cpu")

#: The device the CPU probes pass in: a CPU, but spelled with an index, so a ``.to("cpu")`` written
#: into the code instead of ``.to(device)`` is told apart from using the argument.
INDEXED_CPU = torch.device("cpu", 0)


# ------------------------------------------------------------------------------------------------
# Models with known outputs, built here (the oracle's copy) and there (the student's copy)
# ------------------------------------------------------------------------------------------------

def layer_specs(model: nn.Sequential) -> list[list]:
    """The recipe description (``common.sequential``) of a trusted ``nn.Sequential``."""
    specs = []
    for m in model:
        if isinstance(m, nn.Linear):
            specs.append(["Linear", m.in_features, m.out_features])
        elif isinstance(m, nn.BatchNorm1d):
            specs.append(["BatchNorm1d", m.num_features])
        elif isinstance(m, nn.Dropout):
            specs.append(["Dropout", m.p])
        else:
            specs.append([type(m).__name__])
    return specs


def remote_copy(model: nn.Sequential) -> remote.RemoteObject:
    """The same model (architecture, weights, buffers, train/eval mode) in the student's process."""
    copy_ = remote.build("sequential", layer_specs(model), state_dict=model.state_dict())
    copy_.train(model.training)
    return copy_


def bn_dropout_model(seed: int, d: int = 6, h: int = 16, c: int = 4) -> nn.Sequential:
    """Linear -> BatchNorm1d -> ReLU -> Dropout(0.5) -> Linear with unusual running statistics, so a
    forward pass in train mode (batch statistics, dropout) predicts very differently from eval mode."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(d, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(0.5), nn.Linear(h, c))
    bn = model[1]
    with torch.no_grad():
        bn.running_mean.copy_(torch.rand(h, generator=gen) * 4 - 2)
        bn.running_var.copy_(torch.rand(h, generator=gen) * 2.5 + 0.5)
        bn.weight.copy_(torch.rand(h, generator=gen) + 0.5)
        bn.bias.copy_(torch.randn(h, generator=gen) * 0.5)
        bn.num_batches_tracked.fill_(7)
    return model


def chooser(c: int) -> nn.Sequential:
    """``Linear(C, C)`` with weight 2*I: the prediction is the argmax of the input, which the test sets."""
    model = nn.Sequential(nn.Linear(c, c))
    with torch.no_grad():
        model[0].weight.copy_(2 * torch.eye(c))
        model[0].bias.zero_()
    return model


def chooser_inputs(predictions: torch.Tensor, c: int, seed: int) -> torch.Tensor:
    """Inputs (N, C) for which ``chooser`` predicts ``predictions``: random logits, the chosen one highest."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(len(predictions), c, generator=gen)
    x[torch.arange(len(predictions)), predictions] = x.max(dim=1).values + 0.5 + torch.rand(len(predictions), generator=gen)
    return x


def loader_of(X, y, batch_size) -> remote.RemoteObject:
    return remote.build("tensor_loader", X, y, batch_size)


def oracle_evaluate(model, X, y, criterion=None, batch_size=None):
    """What evaluate must return, computed independently: eval mode, no autograd, on a copy."""
    model = copy.deepcopy(model).eval()
    with torch.no_grad():
        logits = model(X)
        c = logits.shape[1]
        predictions = logits.argmax(dim=1)
        confusion = torch.zeros(c, c, dtype=torch.int64)
        for t, p in zip(y.tolist(), predictions.tolist()):
            confusion[t, p] += 1
        loss = None
        if criterion is not None:
            total = 0.0
            step = batch_size or len(X)
            for start in range(0, len(X), step):
                part = slice(start, start + step)
                total += criterion(logits[part], y[part]).item() * len(y[part])
            loss = total / len(X)
    counts = confusion.sum(dim=1)
    per_class = [float(confusion[k, k]) / float(counts[k]) if counts[k] else float("nan") for k in range(c)]
    return {"accuracy": float(confusion.diag().sum()) / len(X), "loss": loss,
            "per_class_accuracy": per_class, "confusion_matrix": confusion, "num_samples": len(X)}


def mean_of_batch_losses(model, X, y, criterion, batch_size):
    model = copy.deepcopy(model).eval()
    with torch.no_grad():
        losses = [criterion(model(X[s:s + batch_size]), y[s:s + batch_size]).item()
                  for s in range(0, len(X), batch_size)]
    return sum(losses) / len(losses)


def remote_modes(model: remote.RemoteObject) -> list[tuple[str, bool]]:
    """``(name, training)`` of the module and every submodule in the student's process."""
    out = []
    for entry in model.named_modules():
        assert isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str), (
            "named_modules() did not give (name, module) pairs / named_modules() 的结果不对")
        name, module = entry
        out.append((name or "the model", module.training is True))
    return out


def remote_state(model) -> dict[str, torch.Tensor]:
    """The model's state_dict, as plain tensors here."""
    assert isinstance(model, remote.RemoteObject), (
        f"expected the model (an nn.Module), got {type(model).__name__} / 应为模型（nn.Module）")
    state = model.state_dict()
    assert isinstance(state, dict) and all(isinstance(v, torch.Tensor) for v in state.values()), (
        "state_dict() did not give a dict of tensors / state_dict() 应返回张量字典")
    return state


def moves_to(log, role, device):
    return sum(1 for r, d in log if r == role and d == str(device))


def other_moves(log, role, device):
    return sorted({str(d) for r, d in log if r == role and d != str(device)})


# ------------------------------------------------------------------------------------------------
# A training scenario whose validation accuracy peaks in the middle
# ------------------------------------------------------------------------------------------------

#: 90 validation samples in batches of 15: no short batch, so the history's val_loss does not depend on
#: how evaluate averages (that has its own test); the 44 training samples in batches of 8 do end short.
VAL_BATCH = 15


class Scenario:
    """One training run: training labels follow the validation rule for ``switch_after`` epochs, then
    a permuted rule (validation accuracy rises, then falls). Built on the student's side from its
    data and initial weights (``build``), replayed here by an independent loop (``oracle``)."""

    def __init__(self, seed=0, n_train=44, n_val=90, d=5, h=12, c=3, batch_size=8, switch_after=2,
                 lr=0.05, gamma=0.8, num_epochs=5, with_bn=True):
        self.num_epochs, self.lr, self.gamma, self.batch_size = num_epochs, lr, gamma, batch_size
        gen = torch.Generator().manual_seed(seed)
        rule = torch.randn(d, c, generator=gen)
        self.X_train = torch.randn(n_train, d, generator=gen)
        self.X_val = torch.randn(n_val, d, generator=gen)
        self.y_train_first = (self.X_train @ rule).argmax(dim=1)
        self.y_val = (self.X_val @ rule).argmax(dim=1)
        shift = torch.roll(torch.arange(c), 1)
        self.y_train_later = shift[self.y_train_first]
        self.switch_after = switch_after
        torch.manual_seed(seed + 1)
        layers = [nn.Linear(d, h)] + ([nn.BatchNorm1d(h)] if with_bn else []) + [nn.ReLU(), nn.Linear(h, c)]
        self.template = nn.Sequential(*layers)

    def build(self, device=None, tracked=False):
        """``(model, criterion, optimizer, scheduler, dataloaders, log)`` in the student's process; the
        model starts in eval mode (as after an evaluation)."""
        return remote.build("a4_phase_training", layer_specs(self.template), self.template.state_dict(),
                            self.X_train, self.y_train_first, self.y_train_later, self.switch_after,
                            self.X_val, self.y_val, batch_size=self.batch_size, val_batch=VAL_BATCH,
                            lr=self.lr, gamma=self.gamma, device=device, tracked=tracked)

    def train_batches_per_epoch(self) -> int:
        return -(-len(self.X_train) // self.batch_size)

    def oracle(self, eval_loop=None):
        """(per-epoch state dicts, history) of a plain, independent implementation of the course's loop.

        With ``eval_loop`` (the student's module) each epoch's validation is the student's own
        ``evaluate``, run on a copy of the replayed model in the student's process: its accuracy and
        loss are the expected history, and whatever it does to the model (BatchNorm statistics
        updated in train mode) is carried on, as ``train_model`` calling it would. So a mistake in
        ``evaluate`` costs the evaluate tests only, not ``train_model``'s as well. Without it, the
        trusted ``oracle_evaluate`` validates."""
        model = copy.deepcopy(self.template)
        criterion = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=self.lr, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=self.gamma)
        states, history = [], []
        for epoch in range(1, self.num_epochs + 1):
            labels_of_epoch = self.y_train_first if epoch <= self.switch_after else self.y_train_later
            model.train()
            total, correct, seen = 0.0, 0, 0
            for start in range(0, len(self.X_train), self.batch_size):
                inputs = self.X_train[start:start + self.batch_size]
                labels = labels_of_epoch[start:start + self.batch_size]
                optimizer.zero_grad()
                outputs = model(inputs)
                loss = criterion(outputs, labels)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(labels)
                correct += int((outputs.argmax(1) == labels).sum())
                seen += len(labels)
            scheduler.step()
            if eval_loop is None:
                val = oracle_evaluate(model, self.X_val, self.y_val, criterion, batch_size=VAL_BATCH)
            else:
                val = self._students_evaluate(eval_loop, model)
            history.append({"train_loss": total / seen, "train_acc": correct / seen,
                            "val_loss": val["loss"], "val_acc": val["accuracy"]})
            states.append(copy.deepcopy(model.state_dict()))
        return states, history

    def _students_evaluate(self, eval_loop, model: nn.Sequential) -> dict:
        """``evaluate`` of the student's module on a copy of ``model`` (in its current mode); the
        copy's state afterwards is loaded back into ``model``. Its answers are read as numbers here
        (anything else: NaN, which no history matches)."""
        there = remote_copy(model)
        result = eval_loop.evaluate(there, remote.build("a4_val_loader", self.X_val, self.y_val, VAL_BATCH), CPU,
                                    remote.build("cross_entropy"))
        state = there.state_dict()
        if isinstance(state, dict) and set(state) == set(model.state_dict()) and \
                all(isinstance(v, torch.Tensor) for v in state.values()):
            model.load_state_dict(state)
        return {key: _number_or_nan(result.get(key) if isinstance(result, dict) else None)
                for key in ("accuracy", "loss")}


def _number_or_nan(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError):
        return float("nan")


def close(a, b, atol=1e-5, rtol=1e-4) -> bool:
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return a.shape == b.shape and torch.allclose(a, b, atol=atol, rtol=rtol)


def which_epoch(state, states, keys) -> int | None:
    """The 1-based epoch whose weights ``state`` equals on ``keys`` (0: the initial weights), or None."""
    if not all(k in state for k in keys):
        return None
    for i, candidate in enumerate(states):
        if all(close(state[k].detach(), candidate[k]) for k in keys):
            return i
    return None


# ------------------------------------------------------------------------------------------------
# Tiny ImageNet trees, built and inspected here, in the folder both processes share
# ------------------------------------------------------------------------------------------------

def shared_folder(name: str) -> Path:
    """A fresh folder in the exchange folder the student's process can write to."""
    folder = remote.exchange_dir() / f"{name}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    return folder


def open_to_student(root: Path) -> None:
    """Let the student's process (possibly another uid) move and delete everything under ``root``."""
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o777)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IWGRP
                     | stat.S_IROTH | stat.S_IWOTH)


def raw_tree(root: Path, seed: int = 0, **sizes) -> Path:
    sizes = {"num_classes": 3, "train_per_class": 3, "val_per_class": 2, "test_images": 2, **sizes}
    return write_raw_tree(root, seed=seed, **sizes)


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root``."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def annotations(root: Path) -> dict[str, str]:
    pairs = {}
    for line in (root / "val" / "val_annotations.txt").read_text().splitlines():
        fields = line.split()
        if len(fields) >= 2:
            pairs[fields[0]] = fields[1]
    return pairs


def prepared_paths(raw: dict[str, str], val_classes: dict[str, str]) -> dict[str, str]:
    """Where every file of a raw snapshot must be after preparation (boxes files dropped)."""
    expected = {}
    for path, digest in raw.items():
        parts = path.split("/")
        if parts[0] == "train" and len(parts) == 4 and parts[2] == "images":
            expected[f"train/{parts[1]}/{parts[3]}"] = digest
        elif parts[0] == "train" and len(parts) == 3 and parts[2] == f"{parts[1]}_boxes.txt":
            continue
        elif parts[0] == "val" and len(parts) == 3 and parts[1] == "images":
            expected[f"val/{val_classes[parts[2]]}/{parts[2]}"] = digest
        else:
            expected[path] = digest
    return expected


def is_image(path: str) -> bool:
    return path.upper().endswith(".JPEG")


def describe_difference(got: dict[str, str], expected: dict[str, str], part: str, limit: int = 3) -> str:
    got = {k: v for k, v in got.items() if k.startswith(part)}
    expected = {k: v for k, v in expected.items() if k.startswith(part)}
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    changed = sorted(k for k in set(got) & set(expected) if got[k] != expected[k])
    lost = set(v for k, v in expected.items() if is_image(k)) - set(got.values())
    lines = []
    if lost:
        lines.append(f"{len(lost)} image(s) are gone from the tree altogether (deleted or overwritten) / 有图片丢失")
    if missing:
        lines.append(f"missing / 缺少: {', '.join(missing[:limit])}{' ...' if len(missing) > limit else ''}")
    if extra:
        lines.append(f"unexpected / 多余: {', '.join(extra[:limit])}{' ...' if len(extra) > limit else ''}")
    if changed:
        lines.append(f"wrong content (an image moved to another name?) / 内容不对（图片被移到了别的文件名？）: "
                     f"{', '.join(changed[:limit])}")
    return "; ".join(lines)


def leftover_dirs(root: Path) -> list[str]:
    found = [p.relative_to(root).as_posix() for p in sorted((root / "train").glob("*/images"))]
    if (root / "val" / "images").exists():
        found.append("val/images")
    return found


def remote_error_text(exc: remote.RemoteError) -> str:
    return f"{exc.remote_type}: {exc}"
