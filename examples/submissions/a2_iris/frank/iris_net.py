"""Frank: forgets zero_grad and model.train(), averages the batch losses, and evaluates with autograd on."""
import torch
import torch.nn as nn
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

from ailit_core.device import select_device
from ailit_core.seeding import seed_everything


class IrisNet(nn.Module):
    def __init__(self, input_size=4, hidden_size=10, num_classes=3):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(),
                                   nn.Linear(hidden_size, num_classes))

    def forward(self, x):
        return self.model(x)


def load_data(test_size=0.2, random_state=42):
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, stratify=y,
                                                        random_state=random_state)
    sc = StandardScaler().fit(X_train)
    return (torch.FloatTensor(sc.transform(X_train)), torch.FloatTensor(sc.transform(X_test)),
            torch.LongTensor(y_train), torch.LongTensor(y_test))


def train(model, dataloader, criterion, optimizer, device):
    batch_losses = []
    for X, y in dataloader:
        X, y = X.to(device), y.to(device)
        loss = criterion(model(X), y)
        loss.backward()
        optimizer.step()
        batch_losses.append(loss.item())
    return sum(batch_losses) / len(batch_losses)


def evaluate(model, X, y, device):
    model.eval()
    X, y = X.to(device), y.to(device)
    predicted = model(X).argmax(dim=1)
    return (predicted == y).float().mean().item(), predicted


def run(num_epochs=100, lr=0.01, batch_size=16, device=None, seed=0):
    seed_everything(seed)
    device = device or select_device()
    X_train, X_test, y_train, y_test = load_data()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True)
    model = IrisNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = [train(model, loader, nn.CrossEntropyLoss(), optimizer, device) for _ in range(num_epochs)]
    accuracy, _ = evaluate(model, X_test, y_test, device)
    return {"test_accuracy": accuracy, "losses": losses, "model": model}


def classical_baselines(random_state=42):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    a, b, c, d = train_test_split(X, y, test_size=0.3, random_state=random_state)
    return {"logreg_accuracy": LogisticRegression(max_iter=200).fit(a, c).score(b, d),
            "kmeans_labels": KMeans(n_clusters=3, n_init=10, random_state=random_state).fit_predict(X),
            "pca_2d": PCA(n_components=2).fit_transform(X)}
