"""A2 — IrisNet: a small fully connected network on the Iris data set, plus classical baselines.

作业 2：用 PyTorch 搭建全连接网络 IrisNet 对鸢尾花（Iris）数据集做三分类，并与 scikit-learn 的
逻辑回归、KMeans 聚类和 PCA 降维进行对比。

Run it / 运行:
    python iris_net.py                 # train, evaluate, print like the course notes
    python iris_net.py --plot out/     # also save the loss curve and the PCA/KMeans scatter as PNG files
    CUDA_VISIBLE_DEVICES="" python iris_net.py   # force the CPU / 强制使用 CPU
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

from ailit_core.device import select_device
from ailit_core.seeding import seed_everything


class IrisNet(nn.Module):
    """Linear(input_size, hidden_size) -> ReLU -> Linear(hidden_size, num_classes).

    全连接网络：线性层 → ReLU → 线性层。
    """

    def __init__(self, input_size: int = 4, hidden_size: int = 10, num_classes: int = 3):
        super().__init__()
        # HINT: nn.Sequential(nn.Linear(...), nn.ReLU(), nn.Linear(...)) or two nn.Linear attributes.
        # 提示：可以用 nn.Sequential，也可以定义两个 nn.Linear 属性，在 forward 中调用 ReLU。
        raise NotImplementedError("TODO: implement this / 请在此处完成代码")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw logits of shape (N, num_classes): no softmax here, CrossEntropyLoss applies it.

        返回未归一化的 logits（形状 (N, num_classes)）；不要在这里做 softmax，CrossEntropyLoss 内部已经包含。
        """
        raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def load_data(test_size: float = 0.2, random_state: int = 42):
    """Iris split into train/test, standardised, as tensors.

    Returns ``X_train, X_test, y_train, y_test``: features float32 (N, 4), labels int64 (N,).
    The split is stratified (same class proportions in both parts) and the StandardScaler is fitted
    on the training part only, then applied to both.

    分层划分（stratify）训练集与测试集；StandardScaler 只在训练集上 fit，再用同一变换处理测试集。
    """
    # HINT: train_test_split(X, y, test_size=..., random_state=..., stratify=y), then fit the scaler on X_train only:
    # HINT: scaler.fit_transform(X_train), scaler.transform(X_test). Features -> torch.float32, labels -> torch.long.
    # 提示：先划分再标准化——测试集的信息不能泄漏到训练中；特征用 float32，标签用 long（int64）。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def train(model: nn.Module, dataloader, criterion, optimizer, device) -> float:
    """One epoch over ``dataloader``; returns the sample-weighted mean loss of the epoch.

    训练一个 epoch，返回按样本数加权的平均损失（最后一个 batch 可能比较小）。
    """
    # HINT: model.train(); for each batch: move inputs and labels to `device`, optimizer.zero_grad(), forward,
    # HINT: loss, loss.backward(), optimizer.step(); add loss.item() * batch size; divide by the number of samples.
    # 提示：每个 batch 都要先 zero_grad，否则梯度会累加；损失要乘以该 batch 的样本数再求和。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor, device) -> tuple[float, torch.Tensor]:
    """Accuracy in [0, 1] (a Python float) and the predicted class indices, shape (N,).

    评估：model.eval()，在 torch.no_grad() 下前向传播；返回 [0, 1] 之间的准确率（Python float）和预测类别。
    """
    # HINT: model.eval(); with torch.no_grad(): ... ; the predicted class is the argmax over dim 1.
    # 提示：预测类别是 logits 在第 1 维上的 argmax；用 .item() 把准确率变成 Python 数。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def run(num_epochs: int = 100, lr: float = 0.01, batch_size: int = 16, device=None, seed: int = 0) -> dict:
    """The course's experiment: IrisNet + Adam + CrossEntropyLoss on ``load_data()``.

    Returns ``{"test_accuracy": float, "losses": [one per epoch], "model": the trained IrisNet}``.
    ``device=None`` picks CUDA, then Apple MPS, then the CPU; ``seed`` makes the run reproducible.

    完整实验：固定随机种子，选择设备，训练 num_epochs 个 epoch（每个 epoch 记录一次损失），最后在测试集上评估。
    """
    # HINT: seed_everything(seed) before creating the model and the shuffling DataLoader;
    # HINT: device = select_device() when device is None, else torch.device(device); then model.to(device).
    # 提示：先设置随机种子，再创建模型和 DataLoader(shuffle=True)；device 为 None 时用 select_device()。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def classical_baselines(random_state: int = 42) -> dict:
    """The course's scikit-learn comparison on the whole Iris set, standardised.

    - ``logreg_accuracy``: LogisticRegression trained on a 70/30 split, accuracy on the 30 %;
    - ``kmeans_labels``: KMeans with 3 clusters on all 150 samples, shape (150,);
    - ``pca_2d``: the 150 samples projected on their first two principal components, shape (150, 2).

    经典方法对比：逻辑回归（监督学习）、KMeans 聚类（无监督学习）、PCA 降到二维（用于可视化）。
    """
    # HINT: X_scaled = StandardScaler().fit_transform(X); train_test_split(X_scaled, y, test_size=0.3, ...);
    # HINT: LogisticRegression(max_iter=200); KMeans(n_clusters=3, random_state=..., n_init=10); PCA(n_components=2).
    # 提示：三种方法都使用标准化后的数据；random_state 要传给划分和 KMeans。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


# --- Pictures (given, nothing to implement) / 可视化（已给出，无需修改） ------------------------------


def save_loss_curve(losses: list[float], path: Path) -> Path:
    """Training loss per epoch as a PNG. / 把每个 epoch 的训练损失画成曲线并保存。"""
    import matplotlib

    matplotlib.use("Agg")  # files only: works on servers without a display
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(range(1, len(losses) + 1), losses)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (cross-entropy)")
    ax.set_title("IrisNet training loss")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def save_cluster_plot(baselines: dict, labels: np.ndarray, path: Path) -> Path:
    """PCA scatter coloured by KMeans cluster (left) and by true class (right), as in the course."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = np.asarray(baselines["pca_2d"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 5))
    left.scatter(points[:, 0], points[:, 1], c=np.asarray(baselines["kmeans_labels"]), cmap="viridis", s=30)
    left.set_title("KMeans clustering (unsupervised)")
    right.scatter(points[:, 0], points[:, 1], c=labels, cmap="Set1", s=30)
    right.set_title("Ground truth labels (supervised)")
    for ax in (left, right):
        ax.set_xlabel("PC 1")
        ax.set_ylabel("PC 2")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train IrisNet and compare with classical baselines.")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", type=Path, default=None, metavar="DIR",
                        help="also save loss_curve.png and iris_pca_kmeans.png into DIR")
    args = parser.parse_args(argv)

    result = run(num_epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, device=args.device, seed=args.seed)
    print(f"\nTest Accuracy / 测试集准确率: {result['test_accuracy'] * 100:.2f}%")

    model = result["model"]
    _, X_test, _, y_test = load_data()
    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        sample_pred = model(X_test[:1].to(device)).argmax(dim=1).item()
    print(f"Sample Prediction / 示例预测: True = {y_test[0].item()}, Predicted = {sample_pred}")

    baselines = classical_baselines()
    print(f"Logistic Regression Accuracy / 逻辑回归准确率: {baselines['logreg_accuracy']:.4f}")

    if args.plot is not None:
        args.plot.mkdir(parents=True, exist_ok=True)
        saved = [
            save_loss_curve(result["losses"], args.plot / "loss_curve.png"),
            save_cluster_plot(baselines, load_iris().target, args.plot / "iris_pca_kmeans.png"),
        ]
        print("Saved / 已保存: " + ", ".join(str(p) for p in saved))


if __name__ == "__main__":
    main()
