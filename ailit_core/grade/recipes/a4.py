"""Recipes of the a4_eval_loop hidden suite: criteria, the best-weights training scenario, a model
that records its moves, a ``Path``, and the file-operation counter that interrupts
``prepare_tiny_imagenet``.

Like every recipe these run beside the student's code and are not trusted: the suite judges the
outcome (returned state, the tree on disk) in its own process. ``a4_file_operations`` is a probe of
the student's code (it makes the k-th file operation raise); what it does is inspected afterwards
from the trusted side, on disk.
"""

from __future__ import annotations

from ailit_core.grade.recipes import recipe
from ailit_core.grade.recipes.common import MoveLog, _wrap, sequential

CRITERIA = ("CrossEntropyLoss", "MultiMarginLoss")


@recipe
def a4_criterion(name, **options):
    """``nn.CrossEntropyLoss(label_smoothing=0.2)`` and the like, from an allow-list."""
    from torch import nn

    if name not in CRITERIA:
        raise ValueError(f"criterion {name!r} is not allowed in a recipe")
    return getattr(nn, name)(**{str(k): float(v) for k, v in options.items()})


@recipe
def a4_path(path):
    """A ``pathlib.Path`` (the course passes one; only strings cross the boundary)."""
    from pathlib import Path

    return Path(str(path))


def _phase_data(X, first, later, switch_after):
    """Training samples whose labels switch rules after ``switch_after`` epochs; the sampler counts
    the epochs, so the loader stays an ordinary DataLoader."""
    from torch.utils.data import Dataset, Sampler

    class PhaseData(Dataset):
        def __init__(self):
            self.epoch = 0

        def __len__(self):
            return len(X)

        def __getitem__(self, i):
            return X[i], (first if self.epoch <= switch_after else later)[i]

    class PhaseSampler(Sampler):
        def __init__(self, dataset):
            self.dataset = dataset

        def __iter__(self):
            self.dataset.epoch += 1
            return iter(range(len(self.dataset)))

        def __len__(self):
            return len(self.dataset)

    data = PhaseData()
    return data, PhaseSampler(data)


@recipe
def a4_phase_training(layers, state_dict, X_train, y_first, y_later, switch_after, X_val, y_val, *,
                      batch_size, val_batch, lr, gamma, device=None, tracked=False):
    """``(model, criterion, optimizer, scheduler, dataloaders, log)`` of one training run: the model
    in eval mode, SGD with momentum 0.9, StepLR(1, gamma); ``log`` records the batches' device
    moves when ``tracked`` (else None): roles "inputs"/"labels" for training batches, "val inputs"/
    "val labels" for validation batches (those are ``evaluate``'s to move)."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    model = sequential(layers, state_dict=state_dict).eval()
    if device is not None:
        model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=float(lr), momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=float(gamma))
    log = MoveLog() if tracked else None

    def collate_as(prefix):
        def collate(items):
            xs, ys = zip(*items)
            return _wrap(torch.stack(xs), prefix + "inputs", log), _wrap(torch.stack(ys), prefix + "labels", log)

        return collate if tracked else None

    data, sampler = _phase_data(X_train, y_first, y_later, int(switch_after))
    train = DataLoader(data, batch_size=int(batch_size), sampler=sampler, collate_fn=collate_as(""))
    val = DataLoader(TensorDataset(X_val, y_val), batch_size=int(val_batch), shuffle=False,
                     collate_fn=collate_as("val "))
    return model, nn.CrossEntropyLoss(), optimizer, scheduler, {"train": train, "val": val}, log


@recipe
def a4_val_loader(X_val, y_val, val_batch):
    """The validation loader of ``a4_phase_training`` on its own (the trusted replay's evaluations)."""
    from torch.utils.data import DataLoader, TensorDataset

    return DataLoader(TensorDataset(X_val, y_val), batch_size=int(val_batch), shuffle=False)


@recipe
def a4_input_probe(layers, state_dict=None):
    """``nn.Sequential(probe, *layers)``: ``model[0].unmoved`` counts batches that reached the model
    still as the loader's tensor subclass (never moved with ``.to``)."""
    import torch
    from torch import nn

    class InputProbe(nn.Module):
        def __init__(self):
            super().__init__()
            self.unmoved = 0

        def forward(self, x):
            if type(x) is not torch.Tensor:
                self.unmoved += 1
                return x.as_subclass(torch.Tensor)
            return x

    model = sequential(layers)
    model = nn.Sequential(InputProbe(), *model)
    if state_dict is not None:
        model.load_state_dict(state_dict)
    return model


@recipe
def a4_gradients(model):
    """Names of the model's parameters that hold a gradient."""
    return [name for name, p in model.named_parameters() if p.grad is not None]


@recipe
def a4_devices(model):
    """The devices of the model's parameters and buffers, as strings."""
    import itertools

    return sorted({str(t.device) for t in itertools.chain(model.parameters(), model.buffers())})


@recipe
def a4_recording_net(state_dict):
    """Linear(5, 7) -> BatchNorm1d -> ReLU -> Dropout(0.3) -> Linear(7, 3) remembering the devices it
    was asked to move to (``moved_to``) and whether its parameters were replaced (``replaced()``)."""
    import torch
    from torch import nn

    class RecordingNet(nn.Sequential):
        def __init__(self):
            super().__init__(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.ReLU(), nn.Dropout(0.3), nn.Linear(7, 3))
            self.moved_to = []
            self.load_state_dict(state_dict)
            self._ids = [id(p) for p in self.parameters()]

        def to(self, *args, **kwargs):
            device = kwargs.get("device", args[0] if args else None)
            if isinstance(device, (str, torch.device)):
                self.moved_to.append(torch.device(device))
            return super().to(*args, **kwargs)

        def cpu(self):
            self.moved_to.append(torch.device("cpu"))
            return super().cpu()

        def cuda(self, device=None):
            self.moved_to.append(torch.device("cuda", device) if isinstance(device, int) else torch.device("cuda"))
            return super().cuda(device)

        def replaced(self):  # load_state_dict(assign=True) puts new tensors in place
            return [id(p) for p in self.parameters()] != self._ids

    return RecordingNet()


class Interrupted(BaseException):
    """Raised by the patched file operations to stop a run as Ctrl-C or a power cut would."""


FILE_OPERATIONS = (("os", "rename"), ("os", "replace"), ("os", "renames"), ("os", "remove"), ("os", "unlink"),
                   ("os", "rmdir"), ("os", "link"), ("shutil", "move"), ("shutil", "copy"), ("shutil", "copy2"),
                   ("shutil", "copyfile"), ("shutil", "rmtree"))


class FileOperations:
    """Every file-moving/deleting function of ``os`` and ``shutil`` (``pathlib`` goes through them),
    also those the student's module imported by name, counted; the call after ``stop_after``
    raises ``Interrupted``. ``restore()`` puts the originals back."""

    def __init__(self, module, stop_after):
        import importlib

        self.calls = 0
        self.stop_after = None if stop_after is None else int(stop_after)
        self._undo = []
        wrappers = {}
        for owner_name, name in FILE_OPERATIONS:
            owner = importlib.import_module(owner_name)
            original = getattr(owner, name)
            wrappers[id(original)] = self._wrap(original)
            self._set(owner, name, wrappers[id(original)])
        for name, value in list(vars(module).items()):
            if callable(value) and id(value) in wrappers:
                self._set(module, name, wrappers[id(value)])

    def _set(self, owner, name, value):
        self._undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def _wrap(self, original):
        def wrapper(*args, **kwargs):
            if self.stop_after is not None and self.calls >= self.stop_after:
                raise Interrupted(f"stopped after {self.stop_after} file operations")
            self.calls += 1
            return original(*args, **kwargs)

        return wrapper

    def restore(self):
        while self._undo:
            owner, name, value = self._undo.pop()
            setattr(owner, name, value)


@recipe
def a4_file_operations(module, stop_after=None):
    """Count (and, with ``stop_after``, interrupt) the file operations of the student's code."""
    return FileOperations(module, stop_after)
