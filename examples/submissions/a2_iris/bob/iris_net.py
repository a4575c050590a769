"""Bob: standardises by hand with NumPy, inference_mode, counts samples himself, PCA by SVD."""
import numpy as np
import torch
from sklearn import datasets
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class IrisNet(nn.Module):
    def __init__(self, input_size=4, hidden_size=10, num_classes=3):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(input_size, hidden_size), nn.ReLU(),
                                    nn.Linear(hidden_size, num_classes))

    def forward(self, x):
        return self.layers(x)


def _standardise(train_part, *others):
    mu = train_part.mean(axis=0)
    sigma = train_part.std(axis=0)  # population std, like StandardScaler
    return [(a - mu) / sigma for a in (train_part, *others)]


def load_data(test_size=0.2, random_state=42):
    features, labels = datasets.load_iris(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(features, labels, stratify=labels,
                                          random_state=random_state, test_size=test_size)
    xtr, xte = _standardise(xtr, xte)
    return (torch.from_numpy(xtr).float(), torch.from_numpy(xte).float(),
            torch.from_numpy(ytr).long(), torch.from_numpy(yte).long())


def train(model, dataloader, criterion, optimizer, device):
    model.train()
    seen, loss_sum = 0, 0.0
    for inputs, targets in dataloader:
        inputs = inputs.to(device)
        targets = targets.to(device)
        logits = model(inputs)
        loss = criterion(logits, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        n = len(targets)
        seen += n
        loss_sum += float(loss) * n
    return loss_sum / seen


def evaluate(model, X, y, device):
    model.eval()
    with torch.inference_mode():
        preds = model(X.to(device)).argmax(1).cpu()
    correct = int((preds == y.cpu()).sum())
    return correct / len(y), preds


def run(num_epochs=100, lr=0.01, batch_size=16, device=None, seed=0):
    torch.manual_seed(seed)
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    xtr, xte, ytr, yte = load_data()
    net = IrisNet()
    net.to(device)
    loader = DataLoader(TensorDataset(xtr, ytr), batch_size=batch_size, shuffle=True)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    history = [train(net, loader, loss_fn, opt, device) for _ in range(num_epochs)]
    acc, _ = evaluate(net, xte, yte, device)
    return {"model": net, "losses": history, "test_accuracy": acc}


def classical_baselines(random_state=42):
    X, y = datasets.load_iris(return_X_y=True)
    # Bob stratifies here too and fits the scaler on the training part: also a correct 70/30 split.
    xtr, xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=random_state, stratify=y)
    xtr_s, xte_s = _standardise(xtr, xte)
    logreg = LogisticRegression(max_iter=500).fit(xtr_s, ytr)
    Z = _standardise(X)[0]
    km = KMeans(n_clusters=3, n_init=10, random_state=random_state).fit(Z)
    centred = Z - Z.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return {"logreg_accuracy": float((logreg.predict(xte_s) == yte).mean()),
            "kmeans_labels": km.labels_,
            "pca_2d": centred @ vt[:2].T}
