"""Carol: named sub-modules, ailit's device helper, zero_grad after the step, keyword .to()."""
import torch
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ailit_core.device import select_device
from ailit_core.seeding import seed_everything


class IrisNet(nn.Module):
    def __init__(self, input_size=4, hidden_size=10, num_classes=3):
        super().__init__()
        self.hidden = nn.Linear(input_size, hidden_size)
        self.act = nn.ReLU()
        self.out = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        return self.out(self.act(self.hidden(x)))


def load_data(test_size=0.2, random_state=42):
    data = load_iris()
    parts = train_test_split(data.data, data.target, test_size=test_size, random_state=random_state,
                             stratify=data.target)
    X_train, X_test, y_train, y_test = parts
    scaler = StandardScaler().fit(X_train)
    as_x = lambda a: torch.as_tensor(scaler.transform(a), dtype=torch.float32)
    as_y = lambda a: torch.as_tensor(a, dtype=torch.int64)
    return as_x(X_train), as_x(X_test), as_y(y_train), as_y(y_test)


def train(model, dataloader, criterion, optimizer, device):
    model.train()
    total, count = 0.0, 0
    for step, (xb, yb) in enumerate(dataloader):
        xb = xb.to(device=device, non_blocking=True)
        yb = yb.to(device=device, non_blocking=True)
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        total += loss.item() * xb.shape[0]
        count += xb.shape[0]
    return total / count


def evaluate(model, X, y, device):
    model.eval()
    with torch.no_grad():
        logits = model(X.to(device))
        predictions = torch.max(logits, dim=1).indices
        accuracy = float((predictions == y.to(device)).sum()) / y.numel()
    return accuracy, predictions


def run(num_epochs=100, lr=0.01, batch_size=16, device=None, seed=0):
    device = select_device() if device is None else torch.device(device)
    seed_everything(seed)
    X_train, X_test, y_train, y_test = load_data()
    model = IrisNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(num_epochs):
        losses.append(train(model, loader, criterion, optimizer, device))
    accuracy, _ = evaluate(model, X_test, y_test, device)
    return dict(test_accuracy=accuracy, losses=losses, model=model)


def classical_baselines(random_state=42):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.3, random_state=random_state)
    clf = LogisticRegression(max_iter=200).fit(Xa, ya)
    return {
        "logreg_accuracy": accuracy_score(yb, clf.predict(Xb)),
        "kmeans_labels": KMeans(3, init="random", n_init=10, random_state=random_state).fit_predict(X),
        "pca_2d": PCA(2, svd_solver="full").fit_transform(X),
    }
