"""Mutants generated from a reference solution: ML-aware operators on its syntax tree.

Each operator looks at one node of the standard ``ast`` inside a ``# BEGIN SOLUTION`` region and
proposes edits of the source text at that node's position (flip ``+``/``-``, ``mean`` -> ``sum``,
drop ``zero_grad()``, ``dim=1`` -> ``dim=0``, ...). Edits are spliced into the reference text
rather than re-printing the whole module with ``ast.unparse``, so a mutant differs from the
reference by exactly one small change and keeps its comments and layout: the diff an instructor
reads is the mistake, nothing else.

Positions in ``ast`` are UTF-8 byte offsets; the splicing works on bytes (the references carry
Chinese text).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable, Iterator

from ailit_core.release.stub import solution_regions


@dataclass(frozen=True)
class Edit:
    start: int  # byte offsets into the reference
    end: int
    text: str


@dataclass(frozen=True)
class Generated:
    id: str  # "<function>/<operator>/<n>": stable while the function's code stays the same
    operator: str
    function: str
    line: int
    col: int
    end_line: int
    description: str
    source: str


# operator name -> one-line description, in the order the report lists them
OPERATORS = {
    "arith": "flip an arithmetic operator (+/-, *//)",
    "negate": "drop a unary minus",
    "swap_operands": "swap the operands of -, /, @",
    "accumulate": "`x += y` becomes `x = y`",
    "compare": "change a comparison (< / <=, > / >=, == / !=, is / is not, in / not in)",
    "mean_sum": "swap a reduction (mean/sum, max/min, argmax/argmin)",
    "drop_call": "drop a call statement (zero_grad, eval, train, step, backward, seeding)",
    "no_grad": "`with torch.no_grad()` becomes `with torch.enable_grad()`",
    "drop_method": "drop .detach() / .clone() / .item() / .to(device) / copy.deepcopy",
    "transpose": "drop a transpose (.T, .t(), .transpose(), .permute())",
    "dim": "change dim= / axis= (and the dim of argmax, softmax, ...)",
    "keepdim": "flip keepdim= / keepdims=",
    "bool_arg": "flip a True/False keyword argument",
    "off_by_one": "off-by-one in a range() bound",
    "swap_args": "swap the first two positional arguments of a call",
}

ARITH = {ast.Add: "-", ast.Sub: "+", ast.Mult: "/", ast.Div: "*"}  # operator -> the symbol it becomes
SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@", ast.FloorDiv: "//",
           ast.Mod: "%", ast.Pow: "**"}
COMPARE = {ast.Lt: "<=", ast.LtE: "<", ast.Gt: ">=", ast.GtE: ">", ast.Eq: "!=", ast.NotEq: "==",
           ast.Is: "is not", ast.IsNot: "is", ast.In: "not in", ast.NotIn: "in"}
COMPARE_SYMBOLS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
                   ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
COMPARE_TOKENS = {ast.Lt: r"<", ast.LtE: r"<=", ast.Gt: r">", ast.GtE: r">=", ast.Eq: r"==", ast.NotEq: r"!=",
                  ast.Is: r"is", ast.IsNot: r"is\s+not", ast.In: r"in", ast.NotIn: r"not\s+in"}
REDUCTIONS = {"mean": "sum", "sum": "mean", "nanmean": "nansum", "nansum": "nanmean", "max": "min", "min": "max",
              "amax": "amin", "amin": "amax", "argmax": "argmin", "argmin": "argmax"}
DROPPED_STATEMENTS = {"zero_grad", "eval", "train", "step", "backward", "manual_seed", "seed_everything", "seed"}
DROPPED_METHODS = {"detach", "clone", "item", "to", "copy"}
DEEPCOPIES = {"deepcopy"}
TRANSPOSES_ATTR = {"T", "mT"}
TRANSPOSES_CALL = {"t", "transpose", "permute", "swapaxes"}
DIM_KEYWORDS = {"dim", "axis"}
KEEPDIM_KEYWORDS = {"keepdim", "keepdims"}
POSITIONAL_DIM = {"argmax", "argmin", "softmax", "log_softmax", "sum", "mean", "cumsum", "squeeze", "unsqueeze",
                  "flatten"}
NOT_SWAPPED = {"print", "isinstance", "issubclass", "getattr", "setattr", "hasattr", "range", "enumerate", "zip",
               "max", "min", "dict", "list", "tuple", "set", "divmod", "round", "format", "join", "replace",
               "get", "pop", "setdefault", "split", "startswith", "endswith", "register_buffer", "add_module"}
DTYPE_WORDS = re.compile(r"float|int|long|double|half|bool|dtype|complex")


class _Source:
    """The reference as bytes, with line starts, to turn ``ast`` positions into offsets."""

    def __init__(self, text: str):
        self.text = text
        self.data = text.encode("utf-8")
        self.line_starts = [0]
        for i, byte in enumerate(self.data):
            if byte == 0x0A:
                self.line_starts.append(i + 1)

    def offset(self, line: int, col: int) -> int:
        return self.line_starts[line - 1] + col

    def span(self, node) -> tuple[int, int]:
        return self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno, node.end_col_offset)

    def segment(self, node) -> str:
        start, end = self.span(node)
        return self.data[start:end].decode("utf-8")

    def between(self, a, b) -> tuple[int, str]:
        """The text between the end of node ``a`` and the start of node ``b``, and its offset."""
        start = self.offset(a.end_lineno, a.end_col_offset)
        end = self.offset(b.lineno, b.col_offset)
        return start, self.data[start:end].decode("utf-8")

    def apply(self, edits: list[Edit]) -> str:
        out, cursor = [], 0
        for edit in sorted(edits, key=lambda e: e.start):
            out.append(self.data[cursor:edit.start])
            out.append(edit.text.encode("utf-8"))
            cursor = edit.end
        out.append(self.data[cursor:])
        return b"".join(out).decode("utf-8")


def _token_edit(src: _Source, a, b, pattern: str, replacement: str) -> Edit | None:
    """Replace the operator token between nodes ``a`` and ``b`` (skipping brackets and comments)."""
    start, gap = src.between(a, b)
    code = re.sub(r"#[^\n]*", lambda m: " " * len(m.group(0).encode("utf-8")), gap)
    match = re.search(rf"(?<![<>=!*/@%+\-]){pattern}(?![<>=*/])", code)
    if match is None:
        return None
    prefix = len(code[:match.start()].encode("utf-8"))
    return Edit(start + prefix, start + prefix + len(match.group(0).encode("utf-8")), replacement)


def _int_value(node) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _int_value(node.operand) is not None:
        return -_int_value(node.operand)
    return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _method_tail(src: _Source, call: ast.Call) -> Edit | None:
    """Delete ``.name(...)`` from ``value.name(...)``, keeping any bracket that closes ``value``."""
    attr = call.func
    start = src.offset(attr.value.end_lineno, attr.value.end_col_offset)
    tail = src.data[start:src.span(call)[1]].decode("utf-8")
    match = re.search(rf"\.\s*{re.escape(attr.attr)}\s*\(", tail)
    if match is None:
        return None
    cut = start + len(tail[:match.start()].encode("utf-8"))
    return Edit(cut, src.span(call)[1], "")


# --- the operators: each yields (edits, description) for one node ---------------------------------

def op_arith(src, node, parent):
    if isinstance(node, ast.BinOp) and type(node.op) in ARITH and not _is_text(node):
        symbol = ARITH[type(node.op)]
        edit = _token_edit(src, node.left, node.right, re.escape(SYMBOLS[type(node.op)]), symbol)
        if edit:
            yield [edit], f"{SYMBOLS[type(node.op)]} -> {symbol}"
    if isinstance(node, ast.AugAssign) and type(node.op) in ARITH:
        symbol = ARITH[type(node.op)]
        edit = _token_edit(src, node.target, node.value, re.escape(SYMBOLS[type(node.op)] + "="), symbol + "=")
        if edit:
            yield [edit], f"{SYMBOLS[type(node.op)]}= -> {symbol}="


def op_negate(src, node, parent):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _int_value(node) is None:
        start, end = src.span(node)
        operand_start = src.offset(node.operand.lineno, node.operand.col_offset)
        yield [Edit(start, operand_start, "")], f"-{src.segment(node.operand)} -> {src.segment(node.operand)}"


def _atom(src: _Source, node) -> str:
    """``node``'s text, bracketed unless it is an atom (so it can stand anywhere in an expression)."""
    text = src.segment(node)
    atomic = isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)) or (
        isinstance(node, ast.Constant) and not (isinstance(node.value, (int, float)) and node.value < 0))
    return text if atomic else f"({text})"


def _is_text(node) -> bool:
    """A string operand: ``root / "train"`` is a path join, and flipping it only raises a TypeError."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _is_text(node.left) or _is_text(node.right)
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _squared(node, parent) -> bool:
    """``(a - b) ** 2`` (or another even power): swapping ``a`` and ``b`` cannot change it."""
    return isinstance(node.op, ast.Sub) and isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Pow) \
        and parent.left is node and _int_value(parent.right) is not None and _int_value(parent.right) % 2 == 0


def op_swap_operands(src, node, parent):
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Sub, ast.Div, ast.MatMult, ast.FloorDiv)) \
            and not _is_text(node) and not _squared(node, parent):
        left, right = src.segment(node.left), src.segment(node.right)
        if left != right:
            (ls, le), (rs, re_) = src.span(node.left), src.span(node.right)
            yield ([Edit(ls, le, _atom(src, node.right)), Edit(rs, re_, _atom(src, node.left))],
                   f"{left} {SYMBOLS[type(node.op)]} {right} -> swapped")


def op_accumulate(src, node, parent):
    if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Mult)):
        symbol = SYMBOLS[type(node.op)] + "="
        edit = _token_edit(src, node.target, node.value, re.escape(symbol), "=")
        if edit:
            yield [edit], f"{symbol} -> ="


def op_compare(src, node, parent):
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            replacement = COMPARE.get(type(op))
            if replacement is None:
                continue
            edit = _token_edit(src, operands[i], operands[i + 1], COMPARE_TOKENS[type(op)], replacement)
            if edit:
                yield [edit], f"{COMPARE_SYMBOLS[type(op)]} -> {replacement}"


def op_mean_sum(src, node, parent):
    if isinstance(node, ast.Attribute) and node.attr in REDUCTIONS and isinstance(parent, ast.Call) \
            and parent.func is node:
        start, end = src.span(node)
        new = REDUCTIONS[node.attr]
        yield [Edit(end - len(node.attr), end, new)], f"{node.attr} -> {new}"


def op_drop_call(src, node, parent):
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
            and _call_name(node.value) in DROPPED_STATEMENTS:
        start, end = src.span(node)
        yield [Edit(start, end, "pass")], f"dropped {src.segment(node)}"


def op_no_grad(src, node, parent):
    if isinstance(node, (ast.With, ast.AsyncWith)):  # withitem nodes carry no position of their own
        for item in node.items:
            expr = item.context_expr
            if isinstance(expr, ast.Call) and _call_name(expr) in {"no_grad", "inference_mode"}:
                start, end = src.span(expr)
                yield [Edit(start, end, "torch.enable_grad()")], f"{src.segment(expr)} -> torch.enable_grad()"


def op_drop_method(src, node, parent):
    if not isinstance(node, ast.Call):
        return
    name = _call_name(node)
    if isinstance(node.func, ast.Attribute) and name in DROPPED_METHODS:
        if name == "to":
            args = [*node.args, *(k.value for k in node.keywords)]
            if not args or any(DTYPE_WORDS.search(src.segment(a)) for a in args):
                return  # a dtype conversion, not a move
        if name == "copy" and (node.args or node.keywords):
            return
        edit = _method_tail(src, node)
        if edit:
            yield [edit], f"dropped .{name}({', '.join(src.segment(a) for a in node.args)})"
    elif name in DEEPCOPIES and len(node.args) == 1 and not node.keywords:
        start, end = src.span(node)
        arg = src.segment(node.args[0])
        yield [Edit(start, end, _atom(src, node.args[0]))], f"{src.segment(node.func)}({arg}) -> {arg}"


def op_transpose(src, node, parent):
    if isinstance(node, ast.Attribute) and node.attr in TRANSPOSES_ATTR and isinstance(node.ctx, ast.Load):
        start = src.offset(node.value.end_lineno, node.value.end_col_offset)
        end = src.span(node)[1]
        tail = src.data[start:end].decode("utf-8")
        match = re.search(rf"\.\s*{node.attr}$", tail)
        if match:
            cut = start + len(tail[:match.start()].encode("utf-8"))
            yield [Edit(cut, end, "")], f"dropped .{node.attr}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TRANSPOSES_CALL:
        edit = _method_tail(src, node)
        if edit:
            yield [edit], f"dropped .{node.func.attr}(...)"


def _other_dim(value: int) -> int:
    return {0: 1, 1: 0, -1: 0, 2: 1, -2: -1}.get(value, 0)


def op_dim(src, node, parent):
    if not isinstance(node, ast.Call):
        return
    for keyword in node.keywords:
        value = _int_value(keyword.value)
        if keyword.arg in DIM_KEYWORDS and value is not None:
            start, end = src.span(keyword.value)
            yield [Edit(start, end, str(_other_dim(value)))], f"{keyword.arg}={value} -> {keyword.arg}={_other_dim(value)}"
    if _call_name(node) in POSITIONAL_DIM and node.args and isinstance(node.func, ast.Attribute):
        value = _int_value(node.args[0])
        if value is not None:
            start, end = src.span(node.args[0])
            yield [Edit(start, end, str(_other_dim(value)))], f"{_call_name(node)}({value}) -> ({_other_dim(value)})"


def op_keepdim(src, node, parent):
    if isinstance(node, ast.keyword) and node.arg in KEEPDIM_KEYWORDS and isinstance(node.value, ast.Constant) \
            and isinstance(node.value.value, bool):
        start, end = src.span(node.value)
        yield [Edit(start, end, str(not node.value.value))], f"{node.arg}={node.value.value} -> {not node.value.value}"


def op_bool_arg(src, node, parent):
    if isinstance(node, ast.keyword) and node.arg and node.arg not in KEEPDIM_KEYWORDS \
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, bool):
        start, end = src.span(node.value)
        yield [Edit(start, end, str(not node.value.value))], f"{node.arg}={node.value.value} -> {not node.value.value}"


def op_off_by_one(src, node, parent):
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and node.args):
        return
    stop = node.args[0] if len(node.args) == 1 else node.args[1]
    start_, end_ = src.span(stop)
    value = _int_value(stop)
    if value is not None:
        yield [Edit(start_, end_, str(value - 1))], f"range stop {value} -> {value - 1}"
    elif isinstance(stop, ast.BinOp) and isinstance(stop.op, ast.Add) and _int_value(stop.right) == 1:
        yield [Edit(start_, end_, src.segment(stop.left))], f"range stop {src.segment(stop)} -> {src.segment(stop.left)}"
    else:
        yield [Edit(start_, end_, f"{src.segment(stop)} - 1")], f"range stop {src.segment(stop)} -> one less"
    if len(node.args) >= 2 and _int_value(node.args[0]) in (0, 1):
        value = _int_value(node.args[0])
        s, e = src.span(node.args[0])
        yield [Edit(s, e, str(1 - value))], f"range start {value} -> {1 - value}"


def op_swap_args(src, node, parent):
    if not isinstance(node, ast.Call) or len(node.args) < 2 or _call_name(node) in NOT_SWAPPED:
        return
    a, b = node.args[0], node.args[1]
    if any(isinstance(x, (ast.Starred, ast.Constant)) for x in (a, b)):
        return
    left, right = src.segment(a), src.segment(b)
    if left == right:
        return
    (as_, ae), (bs, be) = src.span(a), src.span(b)
    yield [Edit(as_, ae, right), Edit(bs, be, left)], f"{_call_name(node)}({left}, {right}) -> ({right}, {left})"


RULES: dict[str, Callable] = {name: globals()[f"op_{name}"] for name in OPERATORS}


# --- walking the reference ---------------------------------------------------------------------------

def _function_spans(tree: ast.AST) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function, innermost last."""
    spans = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return spans


def function_at(spans: list[tuple[int, int, str]], line: int) -> str:
    """The innermost function holding ``line`` (1-based), or ``<module>``."""
    best = None
    for first, last, name in spans:
        if first <= line <= last and (best is None or first >= best[0]):
            best = (first, last, name)
    return best[2] if best else "<module>"


def function_spans(source: str) -> list[tuple[int, int, str]]:
    return _function_spans(ast.parse(source))


def _region_lines(source: str) -> list[tuple[int, int]]:
    """1-based (first, last) line of the code inside each solution region."""
    return [(begin + 2, end) for begin, end, _indent in solution_regions(source.splitlines())]


def _inside(node, regions) -> bool:
    lineno = getattr(node, "lineno", None)
    if lineno is None:
        return False
    return any(first <= lineno and node.end_lineno <= last for first, last in regions)


QUIET_CALLS = {"print", "warn", "debug", "info", "warning", "write", "set_description", "set_postfix"}


def _is_quiet(node) -> bool:
    """Code whose only effect is a message: mutating it changes what is printed, not what is computed
    (an ``if`` that only decides whether to print included)."""
    if isinstance(node, ast.If) and not node.orelse:
        return all(isinstance(s, ast.Expr) and _is_quiet(s.value) for s in node.body)
    return isinstance(node, (ast.JoinedStr, ast.Raise, ast.Assert)) or (
        isinstance(node, ast.Call) and _call_name(node) in QUIET_CALLS)


def _walk(tree) -> Iterator[tuple[ast.AST, ast.AST | None]]:
    """Every node with its parent, depth first in source order, leaving out messages (``_is_quiet``)."""
    stack = [(tree, None)]
    while stack:
        node, parent = stack.pop()
        if _is_quiet(node):
            continue
        yield node, parent
        stack.extend((child, node) for child in reversed(list(ast.iter_child_nodes(node))))


def generate(reference: str, operators: list[str] | None = None) -> list[Generated]:
    """Every mutant the operators make inside the reference's solution regions (compilable, distinct)."""
    unknown = set(operators or ()) - set(OPERATORS)
    if unknown:
        raise ValueError(f"unknown mutation operator(s): {', '.join(sorted(unknown))}; known: {', '.join(OPERATORS)}")
    chosen = [name for name in OPERATORS if operators is None or name in operators]
    src = _Source(reference)
    tree = ast.parse(reference)
    regions = _region_lines(reference)
    spans = _function_spans(tree)
    seen = {reference}
    counters: dict[tuple[str, str], int] = {}
    out = []
    for node, parent in _walk(tree):
        if not _inside(node, regions):
            continue
        function = function_at(spans, node.lineno)
        for name in chosen:
            for edits, description in RULES[name](src, node, parent):
                mutant = src.apply(edits)
                if mutant in seen or not _compiles(mutant):
                    continue
                seen.add(mutant)
                n = counters.get((function, name), 0) + 1
                counters[(function, name)] = n
                out.append(Generated(f"{function}/{name}/{n}", name, function, node.lineno, node.col_offset,
                                     node.end_lineno, description, mutant))
    out.sort(key=lambda g: (g.line, g.col, list(OPERATORS).index(g.operator)))
    return out


def _compiles(source: str) -> bool:
    try:
        compile(source, "<mutant>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True
