"""Dave: thinks the network should output probabilities, so forward ends with a softmax."""
import torch
import torch.nn as nn
import torch.optim as optim
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch.utils.data import DataLoader, TensorDataset

from ailit_core.device import select_device


class IrisNet(nn.Module):
    def __init__(self, input_size=4, hidden_size=10, num_classes=3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(),
                                 nn.Linear(hidden_size, num_classes), nn.Softmax(dim=1))

    def forward(self, x):
        return self.net(x)


def load_data(test_size=0.2, random_state=42):
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, random_state=random_state,
                                                        stratify=y)
    scaler = StandardScaler()
    X_train = scaler.fit_transform(X_train)
    X_test = scaler.transform(X_test)
    return (torch.tensor(X_train, dtype=torch.float32), torch.tensor(X_test, dtype=torch.float32),
            torch.tensor(y_train), torch.tensor(y_test))


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
    torch.manual_seed(seed)
    device = torch.device(device) if device is not None else select_device()
    X_train, X_test, y_train, y_test = load_data()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True)
    model = IrisNet().to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses = [train(model, loader, criterion, optimizer, device) for _ in range(num_epochs)]
    acc, _ = evaluate(model, X_test, y_test, device)
    return {"test_accuracy": acc, "losses": losses, "model": model}


def classical_baselines(random_state=42):
    X, y = load_iris(return_X_y=True)
    X_scaled = StandardScaler().fit_transform(X)
    a, b, c, d = train_test_split(X_scaled, y, test_size=0.3, random_state=random_state)
    clf = LogisticRegression(max_iter=200).fit(a, c)
    return {"logreg_accuracy": accuracy_score(d, clf.predict(b)),
            "kmeans_labels": KMeans(n_clusters=3, random_state=random_state, n_init=10).fit_predict(X_scaled),
            "pca_2d": PCA(n_components=2).fit_transform(X_scaled)}
