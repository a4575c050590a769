import torch

from ailit_core import device


def test_override_wins(monkeypatch):
    monkeypatch.setenv(device.ENV_VAR, "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.select_device() == torch.device("cpu")


def test_order_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv(device.ENV_VAR, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.select_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert device.select_device().type == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert device.select_device().type == "cpu"


def test_explicit_argument_beats_environment(monkeypatch):
    monkeypatch.setenv(device.ENV_VAR, "cuda")
    assert device.select_device("cpu") == torch.device("cpu")


def test_cuda_visible_devices_empty_hides_cuda():
    import subprocess
    import sys
    code = "import torch; from ailit_core.device import select_device; print(select_device().type)"
    env = {"CUDA_VISIBLE_DEVICES": "", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() in ("cpu", "mps"), out.stderr
