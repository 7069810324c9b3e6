"""Demand control: operation costs from ``@cost``/``@listSize``, their limits and budgets.

``schema.py`` reads the directives from the supergraph, ``estimate.py`` costs an operation
before it runs, ``actual.py`` costs the response it got, ``budget.py`` keeps each caller's
spending per minute, ``control.py`` puts them in the pipeline (README: Cost limits).
"""

from .actual import actual_cost
from .budget import CostBudget, MemoryCostBudget, RedisCostBudget
from .control import (
    CostBudgetExceeded,
    CostReport,
    CostTooExpensive,
    DemandControl,
    DemandSettings,
    SlicingArgumentInvalid,
)
from .estimate import Estimate, estimate
from .schema import CostSchema

__all__ = [
    "CostBudget",
    "CostBudgetExceeded",
    "CostReport",
    "CostSchema",
    "CostTooExpensive",
    "DemandControl",
    "DemandSettings",
    "Estimate",
    "MemoryCostBudget",
    "RedisCostBudget",
    "SlicingArgumentInvalid",
    "actual_cost",
    "estimate",
]
