"""What diagram code may say: an allowlist of syntax, names, methods and attributes, checked
on the parsed script, and the rewrite that sends every operation that could run long, grow
large or reach past the data through the run-time guard (engine/sandbox_runtime.py).

Anything not named here is refused: a new kind of syntax in a later Python is refused until
someone adds it on purpose. Identifiers are compared after NFKC normalisation, the form
Python itself gives them (so `ｆormat` is `format` and `_﹍class__` is `__class__`)."""

from __future__ import annotations

import ast
import builtins
import re
import unicodedata
from typing import Any, TypeVar

from engine.sandbox_allowlist import (
    ALLOWED_NODES,
    ATTRIBUTE_NAMES,
    BINARY_OPERATORS,
    BUILTINS,
    CLASS_METHODS,
    CLASS_NAMES,
    METHOD_NAMES,
    REFUSED,
    TYPES,
)
from engine.sandbox_limits import MAX_FORMAT_LENGTH

RUN = "__sb__"  # the name of the evaluation's Run in the namespace; scripts cannot write it
MAX_PROBLEMS = 5

# Python's builtins that scripts do not get: refused by name, so that `eval`, `getattr` or
# `print` fail at deploy, not at the first run.
WITHHELD = frozenset(dir(builtins)) - BUILTINS
_LONG_NUMBER = re.compile(r"\d{3}")

N = TypeVar("N", bound=ast.AST)
Source = ast.Module | ast.Expression


def normal(name: str) -> str:
    return unicodedata.normalize("NFKC", name)


def rewrite(tree: Source) -> tuple[Source, list[str]]:
    """The guarded tree, and what is wrong with the source ('第 n 行：…'), if anything."""
    guard = _Guard()
    guarded = guard.visit(tree)
    assert isinstance(guarded, ast.Module | ast.Expression)
    seen: list[str] = []
    for line, _column, message in sorted(guard.problems):
        text = f"第 {line} 行：{message}"
        if text not in seen:
            seen.append(text)
    return ast.fix_missing_locations(guarded), seen[:MAX_PROBLEMS]


def _run(attribute: str, near: ast.AST) -> ast.Attribute:
    return ast.copy_location(
        ast.Attribute(value=ast.Name(id=RUN, ctx=ast.Load()), attr=attribute, ctx=ast.Load()),
        near,
    )


def _call(attribute: str, near: N, *args: ast.expr) -> ast.Call:
    call = ast.Call(func=_run(attribute, near), args=list(args), keywords=[])
    return ast.copy_location(call, near)


def _tick(near: ast.AST) -> ast.Call:
    return _call("tick", near)


def _constant(value: Any, near: ast.AST) -> ast.Constant:
    return ast.copy_location(ast.Constant(value=value), near)


class _Guard(ast.NodeTransformer):
    def __init__(self) -> None:
        self.problems: list[tuple[int, int, str]] = []

    def refuse(self, node: ast.AST, message: str) -> None:
        line, column = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        self.problems.append((line, column, message))

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if type(node) not in ALLOWED_NODES:
            self.refuse(node, REFUSED.get(type(node), f"不允许的语法：{type(node).__name__}"))
            return node
        return super().generic_visit(node)

    def expr(self, node: ast.expr) -> ast.expr:
        result = self.visit(node)
        assert isinstance(result, ast.expr)
        return result

    def guarded(self, node: ast.expr) -> ast.expr:
        """A value about to be compared or hashed goes through Run.v (a tick, a depth check)."""
        node = self.expr(node)
        return node if isinstance(node, ast.Constant) else _call("v", node, node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if type(node.value) not in (str, int, float, bool, type(None)):
            self.refuse(node, f"不允许的常量：{type(node.value).__name__}")
        elif isinstance(node.value, str) and "__" in normal(node.value):
            self.refuse(node, "不允许包含双下划线的字符串")
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        name = node.id = normal(node.id)
        if name.startswith("_"):
            self.refuse(node, f"不允许以下划线开头的名称：{name}")
        elif name in BUILTINS:
            stored = isinstance(node.ctx, ast.Store)
            self.refuse(node, f"不能给 {name} 赋值" if stored else f"{name} 只能直接调用")
        elif name in WITHHELD:
            self.refuse(node, f"不允许使用 {name}")
        return self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        if node.arg is None:
            self.refuse(node, "不允许 ** 解包参数")
        elif (name := normal(node.arg)).startswith("_"):
            self.refuse(node, f"不允许以下划线开头的参数：{name}")
        elif name == "key":
            self.refuse(node, "不支持 key= 参数（脚本不能传递函数）")
        else:
            node.arg = name
        return self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        """Reading an attribute outside a method call: only the fields of dates."""
        name = normal(node.attr)
        if not isinstance(node.ctx, ast.Load):
            self.refuse(node, "不允许给属性赋值")
        elif name.startswith("_"):
            self.refuse(node, f"不允许访问以下划线开头的属性：{name}")
        elif name not in ATTRIBUTE_NAMES:
            message = f"{name} 只能调用" if name in METHOD_NAMES else f"不允许访问属性：{name}"
            self.refuse(node, message)
        return _call("attr", node, self.expr(node.value), _constant(name, node))

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        keywords = [self.visit(k) for k in node.keywords]
        if isinstance(func, ast.Name) and (name := normal(func.id)) in BUILTINS:
            if name == "isinstance":
                return self._isinstance(node)
            node.func = _run(f"b_{name}", func)
            node.args = [self.expr(a) for a in node.args]
            node.keywords = keywords
            return node
        if isinstance(func, ast.Attribute) and isinstance(func.ctx, ast.Load):
            method = normal(func.attr)
            receiver = func.value
            owner = normal(receiver.id) if isinstance(receiver, ast.Name) else ""
            if owner in CLASS_NAMES:
                if method not in CLASS_METHODS[CLASS_NAMES[owner]]:
                    self.refuse(func, f"不允许调用 {owner}.{method}")
                value: ast.expr = _run(f"b_{owner}", receiver)
            else:
                if method.startswith("_"):
                    self.refuse(func, f"不允许访问以下划线开头的属性：{method}")
                elif method not in METHOD_NAMES:
                    self.refuse(func, f"不允许调用方法：{method}")
                value = self.expr(receiver)
            args = [value, _constant(method, func), *(self.expr(a) for a in node.args)]
            call = ast.Call(func=_run("call", node), args=args, keywords=keywords)
            return ast.copy_location(call, node)
        self.refuse(node, "只能调用内置函数和数据的方法")
        node.func, node.args = self.expr(func), [self.expr(a) for a in node.args]
        return node

    def _isinstance(self, node: ast.Call) -> ast.AST:
        kinds = node.args[1] if len(node.args) == 2 and not node.keywords else None
        names = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
        found = [normal(n.id) for n in names if isinstance(n, ast.Name)]
        if kinds is None or len(found) != len(names) or not set(found) <= set(TYPES):
            self.refuse(node, "isinstance 的第二个参数只能是类型名，如 str 或 (int, float)")
            return node
        value = self.expr(node.args[0])
        return _call("b_isinstance", node, value, _constant(tuple(found), node))

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        name = BINARY_OPERATORS.get(type(node.op))
        if name is None:
            self.visit(node.op)
            return node
        text = isinstance(node.left, ast.JoinedStr) or (
            isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
        )
        if name == "mod" and text:  # a data string on the left is refused at run time
            self.refuse(node, "不允许用 % 格式化字符串，请用 f-string 或 + 拼接")
        left, right = self.expr(node.left), self.expr(node.right)
        return _call("op", node, _constant(name, node), left, right)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        name = BINARY_OPERATORS.get(type(node.op))
        target = node.target
        if name is None:
            self.visit(node.op)
            return node
        value = self.expr(node.value)
        op = _constant(name, node)
        if isinstance(target, ast.Name):
            self.visit(target)
            current = ast.copy_location(ast.Name(id=target.id, ctx=ast.Load()), target)
            assign = ast.Assign(targets=[target], value=_call("aug", node, op, current, value))
            return ast.copy_location(assign, node)
        if isinstance(target, ast.Subscript) and not isinstance(target.slice, ast.Slice):
            container, key = self.expr(target.value), self.expr(target.slice)
            update = _call("aug_item", node, op, container, key, value)
            return ast.copy_location(ast.Expr(value=update), node)
        self.refuse(node, "复合赋值只能用于变量或下标")
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        value = self.expr(node.value)
        part = node.slice
        if isinstance(part, ast.Slice):
            if not isinstance(node.ctx, ast.Load):
                self.refuse(node, "不允许切片赋值")
                return node
            bounds = [
                _constant(None, node) if b is None else self.expr(b)
                for b in (part.lower, part.upper, part.step)
            ]
            return _call("slice", node, value, *bounds)
        node.value, node.slice = value, self.guarded(part)
        self.visit(node.ctx)
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        """Operands are guarded unless the comparison is cheap whatever they hold: identity,
        or comparing with a constant (`decision == "approve"`, `x in "abc"`)."""
        operands = [node.left, *node.comparators]
        needs = [False] * len(operands)
        for i, op in enumerate(node.ops):
            self.visit(op)
            a, b = operands[i], operands[i + 1]
            if isinstance(op, (ast.Is, ast.IsNot)):
                continue
            constant = isinstance(b, ast.Constant) or (
                isinstance(a, ast.Constant) and not isinstance(op, (ast.In, ast.NotIn))
            )
            if not constant:
                needs[i] = needs[i + 1] = True
        pairs = zip(operands, needs, strict=True)
        done = [self.guarded(o) if n else self.expr(o) for o, n in pairs]
        node.left, node.comparators = done[0], done[1:]
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        if any(k is None for k in node.keys):
            self.refuse(node, "不允许 ** 解包字典（请用 dict() 或 update）")
            return node
        node.keys = [self.guarded(k) for k in node.keys if k is not None]
        node.values = [self.expr(v) for v in node.values]
        return node

    def visit_Set(self, node: ast.Set) -> ast.AST:
        node.elts = [self.guarded(e) for e in node.elts]
        return node

    def visit_SetComp(self, node: ast.SetComp) -> ast.AST:
        node.generators = [self.visit(g) for g in node.generators]
        node.elt = self.guarded(node.elt)
        return node

    def visit_DictComp(self, node: ast.DictComp) -> ast.AST:
        node.generators = [self.visit(g) for g in node.generators]
        node.key, node.value = self.guarded(node.key), self.expr(node.value)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        if node.is_async:
            self.refuse(node.target, "不允许 async")
        self.generic_visit(node)
        node.ifs.insert(0, _tick(node.iter))  # every round of every comprehension ticks
        return node

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(value=_tick(node)), node))
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(value=_tick(node)), node))
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        """Formatted by Run.fmt, which measures the value first; the script's frame has no
        builtins, and formatting a date imports `time` through them."""
        spec = node.format_spec
        parts = [] if spec is None else spec.values if isinstance(spec, ast.JoinedStr) else [spec]
        texts = [p.value for p in parts if isinstance(p, ast.Constant)]
        text = "".join(t for t in texts if isinstance(t, str))
        if len(texts) != len(parts) or len(text) != sum(len(str(t)) for t in texts):
            self.refuse(node, "f-string 的格式说明只能是常量")
        elif _LONG_NUMBER.search(text):
            self.refuse(node, "f-string 的宽度和精度不能超过两位数")
        elif len(text) > MAX_FORMAT_LENGTH:
            self.refuse(node, f"f-string 的格式说明过长（超过 {MAX_FORMAT_LENGTH} 个字符）")
        value = self.expr(node.value)
        conversion = _constant(node.conversion, node)
        node.value = _call("fmt", node, value, conversion, _constant(text, node))
        node.conversion, node.format_spec = -1, None
        return node
