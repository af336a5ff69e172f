"""pySigma's DuckDB backend, adjusted to Sigma's matching rules on our logsource tables.

The upstream backend (pysigma-backend-duckdb 0.1.4) writes `SELECT * FROM logs WHERE ...` and
compares plain values with `=`. Sigma means something slightly different, so this subclass:

- compares strings case-insensitively (`lower(field) = 'value'`), as Sigma specifies;
- escapes LIKE's own wildcards (`%`, `_`, `\\`) in literal text, so `a_b` does not match `axb`;
- compares numbers and booleans as text (every column is VARCHAR JSON text: `50126`, `true`),
  instead of letting DuckDB try to cast an arbitrary string to a number and fail;
- negates with `NOT coalesce(expr, false)`: a rule's `not filter` must hold when the filtered
  field is missing (SQL's NOT NULL would drop the row);
- quotes regular expressions as SQL strings (a `'` inside a regex no longer breaks the query);
- runs keyword (full-text) searches over the record's text (`_th_text`);
- returns only the WHERE expression plus the logsource the pipeline chose; the runner builds
  the table and the SELECT around it.
"""

from __future__ import annotations

from typing import Any

from sigma.conditions import ConditionNOT, ConditionValueExpression
from sigma.conversion.state import ConversionState
from sigma.types import SigmaString, SpecialChars
from sigma_backend_duckdb import DuckDBBackend

from .pipeline import LOGSOURCE_STATE, build_pipeline

TEXT_COLUMN = "_th_text"
ESCAPE = " ESCAPE '\\'"


class EventsBackend(DuckDBBackend):
    """Sigma -> DuckDB WHERE clauses over tracehound's per-logsource tables."""

    name = "tracehound events (DuckDB)"
    escape_char = "\\"
    add_escaped = "\\"
    startswith_expression = "{field} ILIKE '{value}%'" + ESCAPE
    endswith_expression = "{field} ILIKE '%{value}'" + ESCAPE
    contains_expression = "{field} ILIKE '%{value}%'" + ESCAPE
    wildcard_match_expression = "{field} ILIKE '{value}'" + ESCAPE
    wildcard_match_str_expression = "{field} ILIKE '{value}'" + ESCAPE
    re_expression = "regexp_matches({field}, {regex})"
    field_exists_expression = "{field} IS NOT NULL"
    field_not_exists_expression = "{field} IS NULL"

    def __init__(self, **kwargs: Any):
        super().__init__(processing_pipeline=build_pipeline(), **kwargs)

    def convert_condition_field_eq_val_str(self, cond, state: ConversionState) -> Any:
        value: SigmaString = cond.value
        if value.contains_special():
            return super().convert_condition_field_eq_val_str(cond, state)
        text = value.convert(escape_char="", wildcard_multi="*", wildcard_single="?")
        return f"lower({self.escape_and_quote_field(cond.field)}) = {_literal(text.lower())}"

    def convert_condition_field_eq_val_num(self, cond, state: ConversionState) -> Any:
        return f"{self.escape_and_quote_field(cond.field)} = {_literal(str(cond.value))}"

    def convert_condition_field_eq_val_bool(self, cond, state: ConversionState) -> Any:
        word = "true" if cond.value.boolean else "false"
        return f"lower({self.escape_and_quote_field(cond.field)}) = '{word}'"

    def convert_value_re(self, r, state: ConversionState) -> Any:
        return _literal(r.escape((), "", False, True))

    def convert_condition_not(self, cond: ConditionNOT, state: ConversionState) -> Any:
        inner = cond.args[0]
        converted = (self.convert_condition_group(inner, state)
                     if inner.__class__ in self.precedence
                     else self.convert_condition(inner, state))
        return f"NOT coalesce({converted}, false)"

    def convert_condition_val_str(self, cond: ConditionValueExpression,
                                  state: ConversionState) -> Any:
        value: SigmaString = cond.value
        if not value.startswith(SpecialChars.WILDCARD_MULTI):
            value = SpecialChars.WILDCARD_MULTI + value
        if not value.endswith(SpecialChars.WILDCARD_MULTI):
            value = value + SpecialChars.WILDCARD_MULTI
        return f"{TEXT_COLUMN} ILIKE {_literal(self._like(value))}" + ESCAPE

    def convert_condition_val_num(self, cond: ConditionValueExpression,
                                  state: ConversionState) -> Any:
        return f"{TEXT_COLUMN} ILIKE {_literal('%' + str(cond.value) + '%')}"

    def _like(self, value: SigmaString) -> str:
        return value.convert(escape_char="\\", wildcard_multi="%", wildcard_single="_",
                             add_escaped="\\")

    def finalize_query_default(self, rule, query: str, index: int,
                               state: ConversionState) -> dict[str, Any]:
        return {"where": query, "logsource": state.processing_state.get(LOGSOURCE_STATE)}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
