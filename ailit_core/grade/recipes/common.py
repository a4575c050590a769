"""Recipes every suite may use: small torch models, loaders, optimizers, probes.

Probes (``tracked_loader``, ``tracked_tensors``, ``grad_probe``) record what the student's code
did to them. They run beside the student's code, so what they report can be forged: tests that
rely on them carry few points (GRADING.md, threat model).
"""

from __future__ import annotations

from ailit_core.grade.recipes import Keep, recipe

LAYERS = ("Linear", "ReLU", "Dropout", "BatchNorm1d", "Tanh", "Sigmoid", "Identity")


@recipe
def sequential(layers, state_dict=None, seed=None):
    """``nn.Sequential`` of allow-listed layers, e.g. ``[["Linear", 4, 6], ["ReLU"], ["Linear", 6, 3]]``."""
    import torch
    from torch import nn

    if seed is not None:
        torch.manual_seed(int(seed))
    modules = []
    for spec in layers:
        name, *args = spec
        if name not in LAYERS:
            raise ValueError(f"layer {name!r} is not allowed in a recipe")
        modules.append(getattr(nn, name)(*args))
    model = nn.Sequential(*modules)
    if state_dict is not None:
        model.load_state_dict(state_dict)
    return model


@recipe
def tensor_loader(X, y, batch_size, shuffle=False):
    from torch.utils.data import DataLoader, TensorDataset

    return DataLoader(TensorDataset(X, y), batch_size=int(batch_size), shuffle=bool(shuffle))


@recipe
def sgd(model, lr):
    import torch

    return torch.optim.SGD(model.parameters(), lr=float(lr))


@recipe
def cross_entropy():
    from torch import nn

    return nn.CrossEntropyLoss()


class MoveLog:
    """What a probe saw: ``(role, device)`` for every ``.to()``/``.cuda()``/``.cpu()`` on it."""

    def __init__(self):
        self.moves: list[tuple[str, str | None]] = []

    def entries(self):
        return [list(m) for m in self.moves]


def _tracked_class():
    import torch

    moves = {torch.Tensor.to, torch.Tensor.cuda, torch.Tensor.cpu}

    def target(func, args, kwargs):
        if func is torch.Tensor.cpu:
            return "cpu"
        if func is torch.Tensor.cuda:
            return "cuda"
        value = kwargs.get("device", args[0] if args else None)
        if isinstance(value, torch.Tensor):
            return str(value.device)
        if isinstance(value, (str, torch.device, int)):
            try:
                return str(torch.device(value))
            except (RuntimeError, TypeError):
                return None
        return None  # a dtype-only conversion is no move

    class Tracked(torch.Tensor):
        role = None
        log = None

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            flat = [x for a in args for x in (a if isinstance(a, (list, tuple)) else (a,))]
            source = next((a for a in flat if isinstance(a, Tracked) and a.log is not None), None)
            if func in moves and source is not None and args and args[0] is source:
                source.log.moves.append((source.role, target(func, args[1:], kwargs)))
                with torch._C.DisableTorchFunctionSubclass():
                    return func(*args, **kwargs).as_subclass(torch.Tensor)
            out = super().__torch_function__(func, types, args, kwargs)
            if source is not None:
                for t in out if isinstance(out, (tuple, list)) else (out,):
                    if isinstance(t, Tracked):
                        t.role, t.log = source.role, source.log
            return out

    return Tracked


def _wrap(tensor, role, log):
    out = tensor.as_subclass(_tracked_class())
    out.role, out.log = role, log
    return out


@recipe
def tracked_tensors(X, y):
    """``(X, y, log)``: tensors that log the device moves made on them."""
    log = MoveLog()
    return Keep(_wrap(X, "inputs", log)), Keep(_wrap(y, "labels", log)), log


@recipe
def tracked_loader(X, y, batch_size):
    """``(loader, log)``: a DataLoader whose batches log their device moves."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    log = MoveLog()

    def collate(items):
        xs, ys = zip(*items)
        return _wrap(torch.stack(xs), "inputs", log), _wrap(torch.stack(ys), "labels", log)

    return DataLoader(TensorDataset(X, y), batch_size=int(batch_size), shuffle=False, collate_fn=collate), log


@recipe
def grad_probe(n_in, n_out, seed=0):
    """A small classifier that records, at every forward, whether autograd was on."""
    import torch
    from torch import nn

    class GradProbe(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(int(seed))
            self.fc = nn.Linear(int(n_in), int(n_out))
            self.grad_flags = []

        def forward(self, x):
            self.grad_flags.append(torch.is_grad_enabled())
            return self.fc(x)

    return GradProbe()


@recipe
def grad_enabled():
    """Whether autograd is on in the student's process now (a probe)."""
    import torch

    return bool(torch.is_grad_enabled())


class StepLog:
    """Every optimizer step taken in the student's process: ``(class name, learning rates)``."""

    def __init__(self):
        from torch.optim.optimizer import register_optimizer_step_post_hook

        self.steps: list[list] = []
        register_optimizer_step_post_hook(
            lambda opt, args, kwargs: self.steps.append([type(opt).__name__, [g["lr"] for g in opt.param_groups]]))

    def entries(self):
        return [list(s) for s in self.steps]


@recipe
def step_log():
    return StepLog()


@recipe
def setenv(name, value):
    """Set an environment variable of the student's process (e.g. ``AILIT_DEVICE``)."""
    import os

    if not str(name).startswith("AILIT_"):
        raise ValueError("only AILIT_* variables")
    os.environ[str(name)] = str(value)
