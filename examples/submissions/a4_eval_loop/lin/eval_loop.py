"""A4 submission (lin): plain loops and counters, numbered epochs from 0, shutil/os.path file handling."""

import copy
import csv
import math
import os
import shutil

import torch
from torch import nn


def evaluate(model, loader, device, criterion=None):
    previous_mode = model.training
    model.eval()
    counts = None
    loss_sum = 0.0
    seen = 0
    with torch.inference_mode():
        for x, t in loader:
            x = x.to(device)
            t = t.to(device)
            logits = model(x)
            if counts is None:
                width = logits.size(1)
                counts = [[0] * width for _ in range(width)]
            if criterion is not None:
                loss_sum += float(criterion(logits, t)) * len(t)
            guesses = torch.max(logits, 1)[1]
            for truth, guess in zip(t.tolist(), guesses.tolist()):
                counts[truth][guess] += 1
            seen += len(t)
    model.train(previous_mode)

    matrix = torch.tensor(counts, dtype=torch.long)
    per_class = []
    for k in range(len(counts)):
        row_total = sum(counts[k])
        per_class.append(counts[k][k] / row_total if row_total > 0 else math.nan)
    hits = sum(counts[k][k] for k in range(len(counts)))
    return {
        "accuracy": hits / seen,
        "loss": (loss_sum / seen) if criterion is not None else None,
        "per_class_accuracy": per_class,
        "confusion_matrix": matrix,
        "num_samples": seen,
    }


def train_model(model, criterion, optimizer, scheduler, dataloaders, num_epochs, device):
    best_acc = -1.0
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    history = []
    for epoch in range(num_epochs):
        model.train()
        loss_sum, hits, seen = 0.0, 0, 0
        for x, t in dataloaders["train"]:
            x, t = x.to(device), t.to(device)
            optimizer.zero_grad()
            logits = model(x)
            loss = criterion(logits, t)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * x.size(0)
            hits += int((logits.argmax(1) == t).sum())
            seen += x.size(0)
        scheduler.step()
        val = evaluate(model, dataloaders["val"], device, criterion)
        history.append(dict(epoch=epoch, train_loss=loss_sum / seen, train_acc=hits / seen,
                            val_loss=val["loss"], val_acc=val["accuracy"]))
        if val["accuracy"] > best_acc:
            best_acc = val["accuracy"]
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    return model, history


def prepare_tiny_imagenet(root):
    root = str(root)
    train_dir = os.path.join(root, "train")
    for wnid in sorted(os.listdir(train_dir)):
        class_dir = os.path.join(train_dir, wnid)
        if not os.path.isdir(class_dir):
            continue
        images_dir = os.path.join(class_dir, "images")
        if os.path.isdir(images_dir):
            for name in sorted(os.listdir(images_dir)):
                destination = os.path.join(class_dir, name)
                if not os.path.exists(destination):
                    shutil.move(os.path.join(images_dir, name), destination)
            if not os.listdir(images_dir):
                os.rmdir(images_dir)
        boxes = os.path.join(class_dir, wnid + "_boxes.txt")
        if os.path.exists(boxes):
            os.remove(boxes)

    val_dir = os.path.join(root, "val")
    images_dir = os.path.join(val_dir, "images")
    with open(os.path.join(val_dir, "val_annotations.txt"), newline="") as f:
        for row in csv.reader(f, delimiter="\t"):
            if len(row) < 2:
                continue
            source = os.path.join(images_dir, row[0])
            if os.path.exists(source):
                os.makedirs(os.path.join(val_dir, row[1]), exist_ok=True)
                shutil.move(source, os.path.join(val_dir, row[1], row[0]))
    if os.path.isdir(images_dir) and not os.listdir(images_dir):
        os.rmdir(images_dir)


def load_for_eval(path, model, device):
    weights = torch.load(path, map_location="cpu")
    model.load_state_dict(weights)
    model = model.to(device)
    model.eval()
    return model
