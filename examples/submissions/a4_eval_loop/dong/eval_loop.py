"""A4 submission (dong): a correct evaluation and preparation, but the best weights are the live
state_dict (aliased, so they follow training) and the checkpoint is loaded without map_location."""

import os
from pathlib import Path

import torch
from torch import nn


def evaluate(model, loader, device, criterion=None):
    was_training = model.training
    model.eval()
    n_total, n_correct, loss_total = 0, 0, 0.0
    cm = None
    with torch.no_grad():
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            out = model(inputs)
            k = out.shape[1]
            if cm is None:
                cm = torch.zeros(k, k, dtype=torch.int64)
            pred = out.argmax(dim=1)
            cm += torch.bincount((labels * k + pred).cpu(), minlength=k * k).reshape(k, k)
            if criterion is not None:
                loss_total += criterion(out, labels).item() * len(labels)
            n_total += len(labels)
            n_correct += (pred == labels).sum().item()
    model.train(was_training)
    rows = cm.sum(dim=1).double()
    per_class = (cm.diag().double() / rows).tolist()
    return {"accuracy": n_correct / n_total,
            "loss": loss_total / n_total if criterion is not None else None,
            "per_class_accuracy": per_class, "confusion_matrix": cm, "num_samples": n_total}


def train_model(model, criterion, optimizer, scheduler, dataloaders, num_epochs, device):
    best_acc, best_weights = -1.0, model.state_dict()
    history = []
    for epoch in range(1, num_epochs + 1):
        model.train()
        loss_sum, correct, count = 0.0, 0, 0
        for inputs, labels in dataloaders["train"]:
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            out = model(inputs)
            loss = criterion(out, labels)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(labels)
            correct += (out.argmax(1) == labels).sum().item()
            count += len(labels)
        scheduler.step()
        val = evaluate(model, dataloaders["val"], device, criterion)
        history.append({"epoch": epoch, "train_loss": loss_sum / count, "train_acc": correct / count,
                        "val_loss": val["loss"], "val_acc": val["accuracy"]})
        if val["accuracy"] > best_acc:
            best_acc = val["accuracy"]
            best_weights = model.state_dict()
    model.load_state_dict(best_weights)
    return model, history


def prepare_tiny_imagenet(root):
    root = Path(root)
    for class_dir in (root / "train").iterdir():
        images = class_dir / "images"
        if images.is_dir():
            for f in list(images.iterdir()):
                os.replace(f, class_dir / f.name)
            images.rmdir()
        for txt in class_dir.glob("*_boxes.txt"):
            txt.unlink()
    val = root / "val"
    for line in (val / "val_annotations.txt").read_text().splitlines():
        fields = line.split()
        src = val / "images" / fields[0]
        if src.exists():
            (val / fields[1]).mkdir(exist_ok=True)
            os.replace(src, val / fields[1] / fields[0])
    if (val / "images").is_dir() and not any((val / "images").iterdir()):
        (val / "images").rmdir()


def load_for_eval(path, model, device):
    model.load_state_dict(torch.load(path))
    model.to(device)
    model.eval()
    return model
