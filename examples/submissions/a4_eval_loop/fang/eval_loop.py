"""A4 submission (fang): prepare_tiny_imagenet is a line-by-line port of the course's shell script
(works once, fails or loses images when run again), and the confusion matrix is transposed."""

import copy
import glob
import os
import shutil

import torch
from torch import nn


def evaluate(model, loader, device, criterion=None):
    was_training = model.training
    model.eval()
    preds_all, labels_all = [], []
    loss_sum = 0.0
    with torch.no_grad():
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            outputs = model(inputs)
            if criterion is not None:
                loss_sum += criterion(outputs, labels).item() * inputs.size(0)
            preds_all.append(outputs.argmax(1).cpu())
            labels_all.append(labels.cpu())
            num_classes = outputs.size(1)
    model.train(was_training)
    preds = torch.cat(preds_all)
    labels = torch.cat(labels_all)
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for p, t in zip(preds.tolist(), labels.tolist()):
        matrix[p, t] += 1  # rows: predicted
    per_class = []
    for c in range(num_classes):
        members = labels == c
        per_class.append((preds[members] == c).float().mean().item() if members.any() else float("nan"))
    return {"accuracy": (preds == labels).float().mean().item(),
            "loss": loss_sum / len(labels) if criterion is not None else None,
            "per_class_accuracy": per_class, "confusion_matrix": matrix, "num_samples": len(labels)}


def train_model(model, criterion, optimizer, scheduler, dataloaders, num_epochs, device):
    best_wts = copy.deepcopy(model.state_dict())
    best_acc = 0.0
    history = []
    for epoch in range(num_epochs):
        model.train()
        total, correct, loss_sum = 0, 0, 0.0
        for inputs, labels in dataloaders["train"]:
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * inputs.size(0)
            correct += (outputs.argmax(1) == labels).sum().item()
            total += inputs.size(0)
        scheduler.step()
        val = evaluate(model, dataloaders["val"], device, criterion)
        history.append({"epoch": epoch + 1, "train_loss": loss_sum / total, "train_acc": correct / total,
                        "val_loss": val["loss"], "val_acc": val["accuracy"]})
        if val["accuracy"] > best_acc:
            best_acc = val["accuracy"]
            best_wts = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_wts)
    return model, history


def prepare_tiny_imagenet(root):
    # training data: rm *.txt; mv images/* .; rm -r images
    for d in os.listdir(os.path.join(root, "train")):
        folder = os.path.join(root, "train", d)
        for txt in glob.glob(os.path.join(folder, "*.txt")):
            os.remove(txt)
        for f in glob.glob(os.path.join(folder, "images", "*")):
            shutil.move(f, folder)
        shutil.rmtree(os.path.join(folder, "images"))
    # validation data: mkdir -p $directory; mv images/$file $directory; rm -r images
    val = os.path.join(root, "val")
    with open(os.path.join(val, "val_annotations.txt")) as f:
        for line in f:
            name, directory = line.split("\t")[:2]
            os.makedirs(os.path.join(val, directory), exist_ok=True)
            shutil.move(os.path.join(val, "images", name), os.path.join(val, directory))
    shutil.rmtree(os.path.join(val, "images"))


def load_for_eval(path, model, device):
    model.load_state_dict(torch.load(path, map_location=device))
    return model.to(device).eval()
