"""The pySigma processing pipeline from Sigma rules to tracehound's logsource tables.

For every logsource in `logsources.MAPPED` the pipeline (1) renames the rule's fields to the
columns of that logsource's table (aliases such as Azure sign-in `ResultType` -> `errorCode`,
Log Analytics `OperationNameValue` -> `operationName`) and (2) records in the pipeline state
which table the rule reads. Rules of any other logsource keep their field names and no table:
they convert, and the runner reports that no tracehound parser produces their records.
"""

from __future__ import annotations

from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (FieldFunctionTransformation,
                                              SetStateTransformation)

from .logsources import MAPPED, Logsource

LOGSOURCE_STATE = "tracehound_logsource"


def _items(source: Logsource) -> list[ProcessingItem]:
    def condition() -> list[LogsourceCondition]:
        return [LogsourceCondition(product=source.product, service=source.service)]
    return [
        ProcessingItem(identifier=f"tracehound-{source.key}-table",
                       transformation=SetStateTransformation(LOGSOURCE_STATE, source.key),
                       rule_conditions=condition()),
        ProcessingItem(identifier=f"tracehound-{source.key}-fields",
                       transformation=FieldFunctionTransformation(
                           mapping={}, transform_func=source.canonical),
                       rule_conditions=condition()),
    ]


def build_pipeline() -> ProcessingPipeline:
    items = [item for source in MAPPED for item in _items(source)]
    return ProcessingPipeline(name="tracehound events", priority=20, items=items)
