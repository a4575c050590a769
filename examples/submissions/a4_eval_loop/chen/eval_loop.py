"""A4 submission (chen): close to the course's code, with two evaluation mistakes:
the model is left in eval mode, and the loss is the mean of the batch losses."""

import copy
import os

import torch
from torch import nn


def evaluate(model, loader, device, criterion=None):
    model.eval()
    batch_losses = []
    correct, total = 0, 0
    confusion = None
    with torch.no_grad():
        for inputs, labels in loader:
            inputs = inputs.to(device)
            labels = labels.to(device)
            outputs = model(inputs)
            _, preds = torch.max(outputs, 1)
            if confusion is None:
                confusion = torch.zeros(outputs.shape[1], outputs.shape[1], dtype=torch.int64)
            for t, p in zip(labels.view(-1), preds.view(-1)):
                confusion[t.long(), p.long()] += 1
            if criterion is not None:
                batch_losses.append(criterion(outputs, labels).item())
            correct += torch.sum(preds == labels.data).item()
            total += inputs.size(0)
    per_class = []
    for c in range(confusion.shape[0]):
        n = confusion[c].sum().item()
        per_class.append(confusion[c, c].item() / n if n else float("nan"))
    return {
        "accuracy": correct / total,
        "loss": sum(batch_losses) / len(batch_losses) if criterion is not None else None,
        "per_class_accuracy": per_class,
        "confusion_matrix": confusion,
        "num_samples": total,
    }


def train_model(model, criterion, optimizer, scheduler, dataloaders, num_epochs, device):
    best_model_wts = copy.deepcopy(model.state_dict())
    best_acc = 0.0
    history = []
    for epoch in range(num_epochs):
        model.train()
        running_loss = 0.0
        running_corrects = 0
        n = 0
        for inputs, labels in dataloaders["train"]:
            inputs = inputs.to(device)
            labels = labels.to(device)
            optimizer.zero_grad()
            outputs = model(inputs)
            _, preds = torch.max(outputs, 1)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item() * inputs.size(0)
            running_corrects += torch.sum(preds == labels.data).item()
            n += inputs.size(0)
        scheduler.step()
        val = evaluate(model, dataloaders["val"], device, criterion)
        history.append({"epoch": epoch + 1, "train_loss": running_loss / n, "train_acc": running_corrects / n,
                        "val_loss": val["loss"], "val_acc": val["accuracy"]})
        if val["accuracy"] > best_acc:
            best_acc = val["accuracy"]
            best_model_wts = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_model_wts)
    return model, history


def prepare_tiny_imagenet(root):
    train = os.path.join(root, "train")
    for wnid in os.listdir(train):
        folder = os.path.join(train, wnid)
        boxes = os.path.join(folder, f"{wnid}_boxes.txt")
        if os.path.exists(boxes):
            os.remove(boxes)
        images = os.path.join(folder, "images")
        if os.path.isdir(images):
            for name in os.listdir(images):
                os.replace(os.path.join(images, name), os.path.join(folder, name))
            os.rmdir(images)
    val = os.path.join(root, "val")
    with open(os.path.join(val, "val_annotations.txt")) as f:
        for line in f:
            name, wnid = line.split("\t")[:2]
            source = os.path.join(val, "images", name)
            if os.path.exists(source):
                os.makedirs(os.path.join(val, wnid), exist_ok=True)
                os.replace(source, os.path.join(val, wnid, name))
    if os.path.isdir(os.path.join(val, "images")) and not os.listdir(os.path.join(val, "images")):
        os.rmdir(os.path.join(val, "images"))


def load_for_eval(path, model, device):
    model.load_state_dict(torch.load(path, map_location=device))
    model.to(device)
    model.eval()
    return model
