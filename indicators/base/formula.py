"""Formulas of derived indicators: "{DP-01} / {CX-01} * 100" → inputs and a vectorised evaluation.

Only numbers, {CODE} references, + - * / and parentheses are allowed; nothing is passed to eval().
Division by zero gives NaN (no value), never infinity: a derived value exists only when it is meaningful.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Mapping

import numpy as np

REF_RE = re.compile(r"\{([A-Z]{2}-\d{2}[a-z]?)\}")
OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


class FormulaError(ValueError):
    pass


def references(formula: str) -> list[str]:
    """Codes a formula refers to, in order of first appearance: '{DI-01} / {CX-02}' → ['DI-01', 'CX-02']."""
    return list(dict.fromkeys(REF_RE.findall(formula)))


def _compile(formula: str) -> tuple[ast.Expression, dict[str, str]]:
    names: dict[str, str] = {}

    def name_for(match: re.Match) -> str:
        return names.setdefault(match.group(1), f"v{len(names)}")

    source = REF_RE.sub(name_for, formula)
    if "{" in source or "}" in source:
        raise FormulaError(f"malformed reference in formula {formula!r} (use {{CODE}})")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"formula {formula!r} is not an arithmetic expression") from exc
    for node in ast.walk(tree):
        allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.USub, ast.Name, ast.Load, ast.Constant, *OPS)
        if not isinstance(node, allowed) or (isinstance(node, ast.Constant) and not isinstance(node.value, int | float)):
            raise FormulaError(f"formula {formula!r} may only use numbers, {{CODE}}, + - * / and ()")
    return tree, {v: k for k, v in names.items()}


def validate(formula: str) -> list[str]:
    _compile(formula)
    return references(formula)


def evaluate(formula: str, values: Mapping[str, np.ndarray | float]) -> np.ndarray:
    """Evaluate element-wise over arrays keyed by code; missing inputs (NaN) and x/0 give NaN."""
    tree, codes = _compile(formula)

    def walk(node: ast.AST):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return np.asarray(values[codes[node.id]], dtype="float64")
        if isinstance(node, ast.UnaryOp):
            return -walk(node.operand)
        left, right = walk(node.left), walk(node.right)
        if isinstance(node.op, ast.Div):
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.divide(left, right)
            return np.where(np.asarray(right) == 0, np.nan, out)
        return OPS[type(node.op)](left, right)

    return np.asarray(walk(tree), dtype="float64")
