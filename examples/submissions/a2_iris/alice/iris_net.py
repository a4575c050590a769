"""Alice: separate layers with F.relu, the course's own device chain, torch.max, len(dataset)."""
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset


class IrisNet(nn.Module):
    def __init__(self, input_size=4, hidden_size=10, num_classes=3):
        super(IrisNet, self).__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.fc2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def load_data(test_size=0.2, random_state=42):
    iris = load_iris()
    X, y = iris.data, iris.target
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state, stratify=y)
    scaler = StandardScaler()
    X_train = scaler.fit_transform(X_train)
    X_test = scaler.transform(X_test)
    X_train = torch.tensor(X_train, dtype=torch.float32)
    X_test = torch.tensor(X_test, dtype=torch.float32)
    y_train = torch.tensor(y_train, dtype=torch.long)
    y_test = torch.tensor(y_test, dtype=torch.long)
    return X_train, X_test, y_train, y_test


def train(model, dataloader, criterion, optimizer, device):
    model.train()
    running_loss = 0.0
    for batch_X, batch_y in dataloader:
        batch_X, batch_y = batch_X.to(device), batch_y.to(device)
        optimizer.zero_grad()
        outputs = model(batch_X)
        loss = criterion(outputs, batch_y)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * batch_X.size(0)
    return running_loss / len(dataloader.dataset)


def evaluate(model, X, y, device):
    model.eval()
    with torch.no_grad():
        X, y = X.to(device), y.to(device)
        outputs = model(X)
        _, predicted = torch.max(outputs, 1)
        accuracy = (predicted == y).float().mean().item()
    return accuracy, predicted


def run(num_epochs=100, lr=0.01, batch_size=16, device=None, seed=0):
    np.random.seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    if device is None:
        if torch.backends.mps.is_available():
            device = torch.device("mps")
        elif torch.cuda.is_available():
            device = torch.device("cuda")
        else:
            device = torch.device("cpu")
    X_train, X_test, y_train, y_test = load_data()
    train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True)
    model = IrisNet().to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for epoch in range(1, num_epochs + 1):
        loss = train(model, train_loader, criterion, optimizer, device)
        losses.append(loss)
        if epoch % 10 == 0:
            print(f"Epoch [{epoch:3d}/{num_epochs}], Loss: {loss:.4f}")
    test_acc, _ = evaluate(model, X_test, y_test, device)
    return {"test_accuracy": test_acc, "losses": losses, "model": model}


def classical_baselines(random_state=42):
    iris = load_iris()
    X_scaled = StandardScaler().fit_transform(iris.data)
    train_x, test_x, train_y, test_y = train_test_split(X_scaled, iris.target, test_size=0.3,
                                                        random_state=random_state)
    clf = LogisticRegression(max_iter=200)
    clf.fit(train_x, train_y)
    acc = clf.score(test_x, test_y)
    clusters = KMeans(n_clusters=3, random_state=random_state).fit_predict(X_scaled)
    X_2d = PCA(n_components=2).fit_transform(X_scaled)
    return {"logreg_accuracy": acc, "kmeans_labels": clusters, "pca_2d": X_2d}


if __name__ == "__main__":
    print(run()["test_accuracy"])
