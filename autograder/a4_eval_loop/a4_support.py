"""Shared tools of the a4 hidden tests: oracles, models with known behaviour, device-recording
tensors, training scenarios and Tiny ImageNet trees. Nothing here is shown to students.
"""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
from pathlib import Path

import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler, TensorDataset

from ailit_core.data.tiny_imagenet import write_raw_tree

# Everything the tests need is imported while pytest collects, before the grader locks the run down
# (a sandboxed run may not import new modules from the project); PIL loads its JPEG writer lazily.
Image.preinit()

# ------------------------------------------------------------------------------------------------
# Device handling observable on a CPU-only machine
# ------------------------------------------------------------------------------------------------

#: The device the CPU tests pass in: a CPU, but spelled with an index, so a ``.to("cpu")`` written
#: into the code instead of ``.to(device)`` is told apart from using the argument.
INDEXED_CPU = torch.device("cpu", 0)


def _target_device(name, args, kwargs):
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        index = args[1] if len(args) > 1 else kwargs.get("device")
        return torch.device("cuda", torch.cuda.current_device() if index is None else index) \
            if torch.cuda.is_available() else torch.device("cuda")
    if "device" in kwargs and kwargs["device"] is not None:
        return torch.device(kwargs["device"])
    for arg in args[1:]:
        if isinstance(arg, (str, torch.device)):
            return torch.device(arg)
        if isinstance(arg, int) and not isinstance(arg, bool):
            return torch.device("cuda", arg)
        if isinstance(arg, torch.Tensor):
            return arg.device
    return None  # a dtype-only conversion


class _Tracked(torch.Tensor):
    """A CPU tensor that logs every ``.to(...)``/``.cuda()``/``.cpu()`` called on it and answers
    with a plain tensor, so the log shows whether (and where) a batch was moved."""

    log: list = []
    role = ""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in ("to", "cuda", "cpu") and args and isinstance(args[0], _Tracked):
            receiver = type(args[0])
            device = _target_device(name, args, kwargs)
            if device is not None:
                receiver.log.append((receiver.role, device))
            with torch._C.DisableTorchFunctionSubclass():
                return func(*args, **kwargs).as_subclass(torch.Tensor)
        return super().__torch_function__(func, types, args, kwargs)


def tracked_types():
    """Fresh (inputs type, labels type, shared log) for one test."""
    log = []
    inputs = type("TrackedInputs", (_Tracked,), {"log": log, "role": "inputs"})
    labels = type("TrackedLabels", (_Tracked,), {"log": log, "role": "labels"})
    return inputs, labels, log


def tracked_loader(X, y, batch_size, inputs_type, labels_type, **kwargs):
    """A real DataLoader whose batches are logging tensors."""

    def collate(samples):
        xs = torch.stack([s[0] for s in samples])
        ys = torch.stack([s[1] for s in samples])
        return xs.as_subclass(inputs_type), ys.as_subclass(labels_type)

    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=False, collate_fn=collate, **kwargs)


def moves_to(log, role, device):
    return sum(1 for r, d in log if r == role and d == device)


def other_moves(log, role, device):
    return sorted({str(d) for r, d in log if r == role and d != device})


class InputTypeProbe(nn.Module):
    """Identity layer remembering whether it ever received a batch that was not moved with ``.to``."""

    def __init__(self):
        super().__init__()
        self.unmoved = 0

    def forward(self, x):
        if isinstance(x, _Tracked):
            self.unmoved += 1
        return x.as_subclass(torch.Tensor) if isinstance(x, _Tracked) else x


class GradProbe(nn.Module):
    """Identity layer recording whether autograd was on during each forward pass."""

    def __init__(self):
        super().__init__()
        self.grad_enabled = []

    def forward(self, x):
        self.grad_enabled.append(torch.is_grad_enabled())
        return x


# ------------------------------------------------------------------------------------------------
# Models with known outputs, and the evaluation oracle
# ------------------------------------------------------------------------------------------------

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


class Chooser(nn.Module):
    """``Linear(C, C)`` with weight 2*I: the prediction is the argmax of the input, which the test sets."""

    def __init__(self, c: int):
        super().__init__()
        self.fc = nn.Linear(c, c)
        with torch.no_grad():
            self.fc.weight.copy_(2 * torch.eye(c))
            self.fc.bias.zero_()

    def forward(self, x):
        return self.fc(x)


def chooser_inputs(predictions: torch.Tensor, c: int, seed: int) -> torch.Tensor:
    """Inputs (N, C) for which ``Chooser`` predicts ``predictions``: random logits, the chosen one highest."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(len(predictions), c, generator=gen)
    x[torch.arange(len(predictions)), predictions] = x.max(dim=1).values + 0.5 + torch.rand(len(predictions), generator=gen)
    return x


def plain_loader(X, y, batch_size):
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=False)


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


def modes(model) -> list[bool]:
    return [m.training for m in model.modules()]


def buffers_of(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.named_buffers()}


# ------------------------------------------------------------------------------------------------
# A training scenario whose validation accuracy peaks in the middle
# ------------------------------------------------------------------------------------------------

class PhaseData(Dataset):
    """Training samples whose labels switch after ``switch_after`` epochs: first the validation
    rule (validation accuracy rises), then a permuted rule (it falls). ``PhaseSampler`` counts the
    epochs, so the dataset keeps one size and the loader is an ordinary DataLoader."""

    def __init__(self, X, first, later, switch_after):
        self.X, self.first, self.later, self.switch_after = X, first, later, switch_after
        self.epoch = 0

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        labels = self.first if self.epoch <= self.switch_after else self.later
        return self.X[i], labels[i]


class PhaseSampler(Sampler):
    def __init__(self, dataset: PhaseData):
        self.dataset = dataset

    def __iter__(self):
        self.dataset.epoch += 1
        return iter(range(len(self.dataset)))

    def __len__(self):
        return len(self.dataset)


#: 90 validation samples in batches of 15: no short batch, so the history's val_loss does not depend on
#: how evaluate averages (that has its own test); the 44 training samples in batches of 8 do end short.
VAL_BATCH = 15


class Scenario:
    """Everything one training run needs, built twice from one seed: once for the submission, once
    for the oracle, so both start from the same weights and see the same batches."""

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

    def build(self, tracked=None):
        """(model, criterion, optimizer, scheduler, dataloaders); the model starts in eval mode."""
        model = copy.deepcopy(self.template).eval()
        optimizer = torch.optim.SGD(model.parameters(), lr=self.lr, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=self.gamma)
        data = PhaseData(self.X_train, self.y_train_first, self.y_train_later, self.switch_after)
        if tracked is None:
            train = DataLoader(data, batch_size=self.batch_size, sampler=PhaseSampler(data))
            val = plain_loader(self.X_val, self.y_val, VAL_BATCH)
        else:
            inputs_type, labels_type = tracked

            def collate(samples):
                return (torch.stack([s[0] for s in samples]).as_subclass(inputs_type),
                        torch.stack([s[1] for s in samples]).as_subclass(labels_type))

            train = DataLoader(data, batch_size=self.batch_size, sampler=PhaseSampler(data), collate_fn=collate)
            val = tracked_loader(self.X_val, self.y_val, VAL_BATCH, inputs_type, labels_type)
        return model, nn.CrossEntropyLoss(), optimizer, scheduler, {"train": train, "val": val}

    def oracle(self):
        """(per-epoch state dicts, history) of a plain, independent implementation of the course's loop."""
        model, criterion, optimizer, scheduler, loaders = self.build()
        states, history = [], []
        for epoch in range(self.num_epochs):
            model.train()
            total, correct, seen = 0.0, 0, 0
            for inputs, labels in loaders["train"]:
                optimizer.zero_grad()
                outputs = model(inputs)
                loss = criterion(outputs, labels)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(labels)
                correct += int((outputs.argmax(1) == labels).sum())
                seen += len(labels)
            scheduler.step()
            val = oracle_evaluate(model, self.X_val, self.y_val, criterion, batch_size=VAL_BATCH)
            history.append({"train_loss": total / seen, "train_acc": correct / seen,
                            "val_loss": val["loss"], "val_acc": val["accuracy"]})
            states.append(copy.deepcopy(model.state_dict()))
        return states, history


def close(a, b, atol=1e-5, rtol=1e-4) -> bool:
    return torch.allclose(torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64),
                          atol=atol, rtol=rtol)


def which_epoch(state, states, keys) -> int | None:
    """The 1-based epoch whose weights ``state`` equals on ``keys`` (0: the initial weights), or None."""
    for i, candidate in enumerate(states):
        if all(close(state[k].detach().cpu(), candidate[k].cpu()) for k in keys):
            return i
    return None


# ------------------------------------------------------------------------------------------------
# Tiny ImageNet trees
# ------------------------------------------------------------------------------------------------

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


class SimulatedKill(BaseException):
    """Raised by the patched file operations to stop a run as Ctrl-C or a power cut would."""


FILE_OPERATIONS = [(os, "rename"), (os, "replace"), (os, "renames"), (os, "remove"), (os, "unlink"),
                   (os, "rmdir"), (os, "link"), (shutil, "move"), (shutil, "copy"), (shutil, "copy2"),
                   (shutil, "copyfile"), (shutil, "rmtree")]


def patch_file_operations(monkeypatch, module, on_call):
    """Route every file-moving/deleting function (also names the module imported directly) through
    ``on_call()`` before doing the real work."""
    originals = {}
    for owner, name in FILE_OPERATIONS:
        original = getattr(owner, name)

        def wrapper(*args, __original=original, **kwargs):
            on_call()
            return __original(*args, **kwargs)

        originals[id(original)] = wrapper
        monkeypatch.setattr(owner, name, wrapper)
    for name, value in list(vars(module).items()):
        if id(value) in originals and callable(value):
            monkeypatch.setattr(module, name, originals[id(value)])
