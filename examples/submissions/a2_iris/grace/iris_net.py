"""Grace: works on her laptop's CPU, so never moves anything to `device`; accuracy in percent."""
import torch
from torch import nn
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
        self.net = nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(), nn.Linear(hidden_size, num_classes))

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
            torch.tensor(y_train, dtype=torch.long), torch.tensor(y_test, dtype=torch.long))


def train(model, dataloader, criterion, optimizer, device):
    model.train()
    running = 0.0
    for X, y in dataloader:
        optimizer.zero_grad()
        loss = criterion(model(X), y)
        loss.backward()
        optimizer.step()
        running += loss.item() * len(X)
    return running / len(dataloader.dataset)


def evaluate(model, X, y, device):
    model.eval()
    with torch.no_grad():
        predicted = model(X).argmax(dim=1)
    return 100.0 * (predicted == y).float().mean().item(), predicted


def run(num_epochs=100, lr=0.01, batch_size=16, device=None, seed=0):
    torch.manual_seed(seed)
    X_train, X_test, y_train, y_test = load_data()
    model = IrisNet()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = [train(model, loader, nn.CrossEntropyLoss(), optimizer, "cpu") for _ in range(num_epochs)]
    acc, _ = evaluate(model, X_test, y_test, "cpu")
    return {"test_accuracy": acc / 100, "losses": losses, "model": model}


def classical_baselines(random_state=42):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    a, b, c, d = train_test_split(X, y, test_size=0.3, random_state=random_state)
    return {"logreg_accuracy": LogisticRegression(max_iter=200).fit(a, c).score(b, d),
            "kmeans_labels": KMeans(n_clusters=3, n_init=10, random_state=random_state).fit_predict(X),
            "pca_2d": PCA(n_components=2).fit_transform(X)}
