"""Federation 2 query planning: operation normalization, the plan model and its printer."""

from .build import PlanningError, build_query_plan
from .plan import BatchNode, FetchNode, FlattenNode, ParallelNode, QueryPlan, SequenceNode
from .printer import print_plan

__all__ = [
    "BatchNode",
    "FetchNode",
    "FlattenNode",
    "ParallelNode",
    "PlanningError",
    "QueryPlan",
    "SequenceNode",
    "build_query_plan",
    "print_plan",
]
