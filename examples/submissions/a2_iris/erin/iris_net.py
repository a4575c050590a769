"""Erin: standardises everything first, then splits without stratify (test data leaks into the scaler)."""
import numpy as np
import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler


class IrisNet(nn.Module):
    def __init__(self, input_size=4, hidden_size=10, num_classes=3):
        super().__init__()
        self.l1 = nn.Linear(input_size, hidden_size)
        self.l2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        return self.l2(torch.relu(self.l1(x)))


def load_data(test_size=0.2, random_state=42):
    iris = load_iris()
    X = StandardScaler().fit_transform(iris.data)
    X_train, X_test, y_train, y_test = train_test_split(X, iris.target, test_size=test_size,
                                                        random_state=random_state)
    return (torch.tensor(X_train, dtype=torch.float32), torch.tensor(X_test, dtype=torch.float32),
            torch.tensor(y_train, dtype=torch.long), torch.tensor(y_test, dtype=torch.long))


def train(model, dataloader, criterion, optimizer, device):
    model.train()
    total, n = 0.0, 0
    for xb, yb in dataloader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(yb)
        n += len(yb)
    return total / n


def evaluate(model, X, y, device):
    model.eval()
    with torch.no_grad():
        out = model(X.to(device))
        pred = out.argmax(dim=1)
        acc = (pred == y.to(device)).float().mean().item()
    return acc, pred


def run(num_epochs=100, lr=0.01, batch_size=16, device=None, seed=0):
    torch.manual_seed(seed)
    np.random.seed(seed)
    if device is None:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    X_train, X_test, y_train, y_test = load_data()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True)
    model = IrisNet().to(device)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for _ in range(num_epochs):
        losses.append(train(model, loader, criterion, optimizer, device))
    acc, _ = evaluate(model, X_test, y_test, device)
    return {"test_accuracy": acc, "losses": losses, "model": model}


def classical_baselines(random_state=42):
    iris = load_iris()
    Xs = StandardScaler().fit_transform(iris.data)
    tr_x, te_x, tr_y, te_y = train_test_split(Xs, iris.target, test_size=0.3, random_state=random_state)
    acc = LogisticRegression(max_iter=200).fit(tr_x, tr_y).score(te_x, te_y)
    return {"logreg_accuracy": acc,
            "kmeans_labels": KMeans(n_clusters=3, n_init=10, random_state=random_state).fit_predict(Xs),
            "pca_2d": PCA(n_components=2).fit_transform(Xs)}
