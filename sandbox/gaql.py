"""A minimal Google Ads Query Language parser: enough for the reports the extractors run.

``SELECT f, ... FROM resource [WHERE cond AND ...] [ORDER BY f [ASC|DESC], ...] [LIMIT n]
[PARAMETERS ...]`` where a condition is ``field op literal``, ``field BETWEEN a AND b`` or
``field [NOT] IN (a, b)``. Anything else is a 400 ``QueryError``, as in the real API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Literal = str | int | float


class GaqlError(Exception):
    """A query the API would reject: ``code`` is the enum name in ``category`` (``queryError``,
    ``clickViewError``, ...), as the ``errorCode`` of a ``GoogleAdsFailure`` names it."""

    def __init__(self, code: str, message: str, category: str = "queryError") -> None:
        super().__init__(message)
        self.code, self.message, self.category = code, message, category


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str  # =, !=, >, >=, <, <=, BETWEEN, IN, NOT IN
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class Query:
    fields: tuple[str, ...]
    resource: str
    conditions: tuple[Condition, ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    limit: int | None = None


FIELD = r"[a-z_]+(?:\.[a-z_]+)+"
LITERAL = r"'[^']*'|\"[^\"]*\"|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*"
QUERY = re.compile(
    r"\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<resource>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>.+?))?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?"
    r"(?:\s+PARAMETERS\s+(?P<parameters>.+?))?\s*",
    re.IGNORECASE | re.DOTALL,
)
CONDITION = re.compile(
    rf"(?P<field>{FIELD})\s*(?:"
    rf"(?P<op>!=|>=|<=|=|>|<)\s*(?P<literal>{LITERAL})"
    rf"|(?P<between>BETWEEN)\s+(?P<low>{LITERAL})\s+AND\s+(?P<high>{LITERAL})"
    rf"|(?P<in>NOT\s+IN|IN)\s*\((?P<items>[^)]*)\))",
    re.IGNORECASE,
)
AND = re.compile(r"\s+AND\s+", re.IGNORECASE)
ORDER = re.compile(rf"\s*(?P<field>{FIELD})(?:\s+(?P<direction>ASC|DESC))?\s*", re.IGNORECASE)


def parse(text: str) -> Query:
    match = QUERY.fullmatch(text or "")
    if not match:
        raise GaqlError("UNEXPECTED_INPUT", f"Error in query: cannot parse {text!r}.")
    fields = tuple(name.strip() for name in match["fields"].split(","))
    for name in fields:
        if not re.fullmatch(FIELD, name):
            raise GaqlError(
                "UNRECOGNIZED_FIELD", f"Error in SELECT clause: invalid field {name!r}."
            )
    order_by = []
    for part in (match["order"] or "").split(",") if match["order"] else []:
        if not (item := ORDER.fullmatch(part)):
            raise GaqlError("UNEXPECTED_INPUT", f"Error in ORDER BY clause: {part.strip()!r}.")
        order_by.append((item["field"], (item["direction"] or "").upper() == "DESC"))
    return Query(
        fields=fields,
        resource=match["resource"],
        conditions=_conditions(match["where"] or ""),
        order_by=tuple(order_by),
        limit=int(match["limit"]) if match["limit"] else None,
    )


def _conditions(where: str) -> tuple[Condition, ...]:
    conditions, position = [], 0
    while position < len(where):
        match = CONDITION.match(where, position)
        if not match:
            raise GaqlError("UNEXPECTED_INPUT", f"Error in WHERE clause near {where[position:]!r}.")
        if match["op"]:
            conditions.append(Condition(match["field"], match["op"], (_literal(match["literal"]),)))
        elif match["between"]:
            values = (_literal(match["low"]), _literal(match["high"]))
            conditions.append(Condition(match["field"], "BETWEEN", values))
        else:
            items = tuple(
                _literal(item.strip()) for item in match["items"].split(",") if item.strip()
            )
            operator = " ".join(match["in"].upper().split())
            conditions.append(Condition(match["field"], operator, items))
        position = match.end()
        if position < len(where):
            joiner = AND.match(where, position)
            if not joiner:
                raise GaqlError("EXPECTED_AND", f"Error in WHERE clause near {where[position:]!r}.")
            position = joiner.end()
    return tuple(conditions)


def _literal(text: str) -> Literal:
    if text[0] in "'\"":
        return text[1:-1]
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text  # an enum constant such as ENABLED
