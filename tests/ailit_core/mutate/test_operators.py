"""The operators change one thing inside the solution regions, keep the rest byte for byte, and
leave messages (print, raise, f-strings) alone."""

import pytest

from ailit_core.mutate.operators import OPERATORS, function_at, function_spans, generate

REFERENCE = '''import torch


def outside(a, b):
    return a - b  # not in a region: never mutated


def step(model, loader, optimizer, device):
    # BEGIN SOLUTION
    model.train()
    total = 0.0
    for epoch in range(1, 3 + 1):
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(inputs), labels)
            loss.backward()
            optimizer.step()
            total += loss.item()
            print(f"loss {total / 2}")  # a message: left alone
    with torch.no_grad():
        probs = model(inputs).softmax(dim=1).mean(dim=0, keepdim=True).detach()
    if total < 0.5:
        raise ValueError(f"too small: {total - 1} / 太小")
    weights = inputs.T @ probs
    return weights, len("中文") - total
    # END SOLUTION
'''


def mutants(operators=None):
    return {m.id: m for m in generate(REFERENCE, operators)}


def changed(m):
    before = REFERENCE.splitlines()
    after = m.source.splitlines()
    assert len(before) == len(after), m.id
    return [(b.strip(), a.strip()) for b, a in zip(before, after) if a != b]


def test_every_operator_is_known_and_unknown_ones_are_refused():
    assert set(OPERATORS) >= {"arith", "mean_sum", "drop_call", "no_grad", "drop_method", "dim", "keepdim",
                              "off_by_one", "compare", "swap_args", "transpose"}
    with pytest.raises(ValueError, match="unknown mutation operator"):
        generate(REFERENCE, ["no_such_operator"])


def test_one_line_changes_inside_the_region_only():
    found = mutants()
    assert found
    for m in found.values():
        diff = changed(m)
        assert len(diff) == 1, (m.id, diff)
        assert "return a - b" in m.source and m.function == "step"
        compile(m.source, m.id, "exec")


def test_messages_are_not_mutated():
    for m in mutants().values():
        (before, after), = changed(m)
        assert not before.startswith(("print(", "raise ")), m.id


@pytest.mark.parametrize("operator, before, after", [
    ("drop_call", "optimizer.zero_grad()", "pass"),
    ("drop_call", "model.train()", "pass"),
    ("drop_method", "inputs, labels = inputs.to(device), labels.to(device)", "inputs, labels = inputs, labels.to(device)"),
    ("drop_method", "total += loss.item()", "total += loss"),
    ("mean_sum", ".mean(dim=0, keepdim=True)", ".sum(dim=0, keepdim=True)"),
    ("dim", ".softmax(dim=1)", ".softmax(dim=0)"),
    ("keepdim", "keepdim=True", "keepdim=False"),
    ("no_grad", "with torch.no_grad():", "with torch.enable_grad():"),
    ("off_by_one", "range(1, 3 + 1)", "range(1, 3)"),
    ("compare", "if total < 0.5:", "if total <= 0.5:"),
    ("accumulate", "total += loss.item()", "total = loss.item()"),
    ("transpose", "weights = inputs.T @ probs", "weights = inputs @ probs"),
    ("swap_operands", "weights = inputs.T @ probs", "weights = probs @ inputs.T"),
    ("swap_args", "cross_entropy(model(inputs), labels)", "cross_entropy(labels, model(inputs))"),
    ("arith", 'len("中文") - total', 'len("中文") + total'),  # byte offsets after non-ASCII text
])
def test_operator_makes_the_expected_edit(operator, before, after):
    edits = [changed(m)[0] for m in mutants([operator]).values()]
    assert any(before in b and after in a and b.replace(before, after) == a for b, a in edits), edits


def test_ids_are_stable_and_distinct():
    first, second = generate(REFERENCE), generate(REFERENCE)
    assert [m.id for m in first] == [m.id for m in second]
    assert len({m.id for m in first}) == len(first) and len({m.source for m in first}) == len(first)


def test_function_names_include_the_class():
    spans = function_spans("class A:\n    def f(self):\n        return 1\n\n\ndef g():\n    pass\n")
    assert function_at(spans, 3) == "A.f" and function_at(spans, 7) == "g" and function_at(spans, 4) == "<module>"


def test_every_reference_gives_mutants():
    from ailit_core import assignments

    for assignment in assignments.landed():
        found = generate(assignment.solution_path.read_text(encoding="utf-8"))
        assert len(found) >= 10, assignment.id
