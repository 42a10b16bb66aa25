"""Formulas of derived indicators: "{DP-01} / {CX-01} * 100" → inputs and a SQL expression the engine evaluates.

Only numbers, {CODE} references, + - * / and parentheses are allowed; nothing is passed to eval().
Division by zero gives no value (NULL), never infinity: a derived value exists only when it is meaningful.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

REF_RE = re.compile(r"\{([A-Z]{2}-\d{2}[a-z]?)\}")
OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
SQL_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


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


def to_sql(formula: str, columns: Mapping[str, str]) -> str:
    """The formula as a SQL expression over the columns holding each code's value:
    to_sql("{DI-05} / {DI-08b} * 100", {"DI-05": "v0", "DI-08b": "v1"}) → '(("v0" / nullif("v1", 0)) * 100.0::DOUBLE)'.
    x/0 is NULL (no value), never infinity; a NULL input gives NULL."""
    tree, codes = _compile(formula)

    def walk(node: ast.AST) -> str:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return f"{float(node.value)!r}::DOUBLE"
        if isinstance(node, ast.Name):
            return '"' + columns[codes[node.id]].replace('"', '""') + '"'
        if isinstance(node, ast.UnaryOp):
            return f"(-{walk(node.operand)})"
        left, right = walk(node.left), walk(node.right)
        if isinstance(node.op, ast.Div):
            return f"({left} / nullif({right}, 0))"
        return f"({left} {SQL_OPS[type(node.op)]} {right})"

    return walk(tree)
