"""The `ailit` command's conventions: help, exit codes, one-line errors without tracebacks."""

import subprocess
import sys


def ailit(*args):
    return subprocess.run([sys.executable, "-m", "ailit_core", *args], capture_output=True, text=True, timeout=300)


def test_help_and_version():
    assert ailit("--help").returncode == 0
    assert ailit("--version").stdout.strip()


def test_list_shows_every_assignment():
    out = ailit("list").stdout
    assert "a1_xor_backprop" in out and "a5_qa_pipeline" in out


def test_unknown_assignment_is_one_clear_line(tmp_path):
    proc = ailit("grade", str(tmp_path), "--assignment", "a9_nope", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "unknown assignment" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_submissions_folder_is_one_clear_line(tmp_path):
    proc = ailit("grade", str(tmp_path / "missing"), "--assignment", "a1_xor_backprop", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "missing" in proc.stderr


def test_verify_a1_passes():
    proc = ailit("verify", "a1_xor_backprop")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "a1_xor_backprop: ok" in proc.stdout
