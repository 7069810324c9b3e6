"""Demand control: the pipeline's one entry to operation costs (estimate, admit, measure).

Per request, in the pipeline's order:

1. :meth:`DemandControl.estimate`, from the normalized operation and its variables (reused for
   the same operation when its cost reads no variable);
2. :meth:`DemandControl.admit`, before the plan runs: in ``enforce`` mode an estimate over
   ``max_cost`` is refused (``400 COST_ESTIMATED_TOO_EXPENSIVE``: the operation as written will
   never pass), as is one whose ``@listSize`` needs exactly one slicing argument and does not
   get it (``400 COST_SLICING_ARGUMENT_INVALID``); then the caller's budget for the minute is
   charged (``budget.py``; ``429 COST_BUDGET_EXCEEDED``, ``Retry-After``). ``measure`` mode
   refuses nothing and reports what ``enforce`` would have refused; ``off`` computes nothing;
3. :meth:`DemandControl.measure`, after the response is shaped: the actual cost
   (``actual.py``), computed only when someone reads it (``expose`` on, or an observer), then
   handed to each observer (metrics) as one :class:`CostReport`.

Budgets: a caller is its integrator client id when it has one, else its subject; callers who
are not signed in have none (they cannot be told apart here; their structural limits are
strict). ``client_budgets`` maps a client id (or a subject) to its own budget per minute;
everyone else signed in gets ``budget_per_minute`` (none by default).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from tandem_shared.tokens import Principal

from ..auth.integrators import RateLimited
from ..errors import OperationError, TandemError
from ..operation import NormalizedOperation
from .actual import actual_cost
from .budget import CostBudget, MemoryCostBudget, OverBudget
from .estimate import Estimate, estimate
from .schema import CostSchema

__all__ = [
    "CostBudgetExceeded",
    "CostReport",
    "CostTooExpensive",
    "DemandControl",
    "DemandSettings",
    "Mode",
    "SlicingArgumentInvalid",
]

log = logging.getLogger("tandem.demand")

Mode = Literal["off", "measure", "enforce"]


class CostTooExpensive(OperationError):
    """The estimate is over the maximum cost of one operation."""

    code = "COST_ESTIMATED_TOO_EXPENSIVE"

    def __init__(self, estimated: int, maximum: int) -> None:
        super().__init__(
            f"operation too expensive: estimated cost {estimated}, at most {maximum}",
            extensions={"cost": {"estimated": estimated, "max": maximum}},
        )


class SlicingArgumentInvalid(OperationError):
    """A ``@listSize`` field needs exactly one of its slicing arguments."""

    code = "COST_SLICING_ARGUMENT_INVALID"


class CostBudgetExceeded(RateLimited):
    """The caller has spent its cost budget for this minute (429 with ``Retry-After``)."""

    code = "COST_BUDGET_EXCEEDED"

    def __init__(self, estimated: int, spent: int, budget: int, retry_after: int) -> None:
        TandemError.__init__(
            self,
            f"cost budget exceeded: this operation's estimated cost {estimated} and the "
            f"{spent} spent this minute pass the budget of {budget} per minute",
            extensions={"cost": {"estimated": estimated, "spent": spent, "budget": budget}},
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class DemandSettings:
    """Demand control as configured (the ``demand_*`` settings)."""

    # measured, not enforced, until an operator has seen what the real traffic costs (as
    # Apollo's and Cosmo's routers ship): without @listSize every list counts as
    # ``default_list_size`` items, so a legitimate query three lists deep (the demo's
    # nested_lists, actually small) already estimates 21,110
    mode: Mode = "measure"
    # when enforced: the benchmark's storefront query estimates 2,520, the persona journeys
    # under 100; what it stops is fan-out (nested lists, aliased list fields) the structural
    # limits let through. None: no maximum per operation
    max_cost: int | None = 10_000
    default_list_size: int = 10
    budget_per_minute: int | None = None
    client_budgets: Mapping[str, int] = field(default_factory=dict)
    expose: bool = False  # the response's extensions.cost


@dataclass(frozen=True)
class CostReport:
    """One operation's costs, for metrics and ``extensions.cost``.

    ``refused`` is the code the operation was refused with (``enforce``) or would have been
    (``measure``); ``spent`` what the caller spent this minute, this operation included.
    """

    estimated: int
    actual: int | None = None
    max_cost: int | None = None
    budget: int | None = None
    spent: int | None = None
    refused: str | None = None
    mode: Mode = "enforce"

    def extension(self) -> dict[str, Any]:
        """The response's ``extensions.cost``."""
        shown: dict[str, Any] = {"estimated": self.estimated, "actual": self.actual}
        if self.max_cost is not None:
            shown["max"] = self.max_cost
        if self.budget is not None:
            shown["budget"] = self.budget
            shown["spent"] = self.spent
        if self.refused is not None:
            shown["result"] = self.refused
        return shown


Observer = Callable[[CostReport], None]


class DemandControl:
    """Estimates, admits and measures operations against one supergraph's costs."""

    def __init__(
        self,
        schema: CostSchema,
        settings: DemandSettings | None = None,
        *,
        budget: CostBudget | None = None,
    ) -> None:
        self.schema = schema
        self.settings = settings or DemandSettings()
        self.budget = budget if budget is not None else MemoryCostBudget()
        self.observers: list[Observer] = []  # metrics register here
        # per normalized operation (kept by identity, dropped with it): estimates that read
        # no variable
        self._estimates: weakref.WeakKeyDictionary[NormalizedOperation, Estimate] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def active(self) -> bool:
        return self.settings.mode != "off"

    @property
    def wants_actual(self) -> bool:
        """Whether anyone reads the actual cost (it walks the whole response)."""
        return self.active and (self.settings.expose or bool(self.observers))

    def estimate(self, operation: NormalizedOperation, variables: Mapping[str, Any]) -> Estimate:
        cached = self._estimates.get(operation)
        if cached is not None:
            return cached
        result = estimate(self.schema, operation, variables, self.settings.default_list_size)
        if not result.reads_variables:
            self._estimates[operation] = result
        return result

    async def admit(self, found: Estimate, principal: Principal | None) -> CostReport:
        """Refuse (``enforce``) or note (``measure``) an operation over its limits; charge the
        caller's budget (module docstring)."""
        settings = self.settings
        enforce = settings.mode == "enforce"
        report = CostReport(found.cost, max_cost=settings.max_cost, mode=settings.mode)
        if found.problems:
            if enforce:
                raise SlicingArgumentInvalid("; ".join(found.problems[:5]))
            report = replace(report, refused=SlicingArgumentInvalid.code)
        if settings.max_cost is not None and found.cost > settings.max_cost:
            if enforce:
                raise CostTooExpensive(found.cost, settings.max_cost)
            return replace(report, refused=CostTooExpensive.code)
        caller, budget = self._budget_of(principal)
        if caller is None or budget is None or not enforce:
            return report
        try:
            spent = await self.budget.charge(caller, found.cost, budget)
        except OverBudget as over:
            raise CostBudgetExceeded(found.cost, over.spent, budget, over.retry_after) from None
        return replace(report, budget=budget, spent=spent)

    def _budget_of(self, principal: Principal | None) -> tuple[str | None, int | None]:
        if principal is None:
            return None, None
        budgets = self.settings.client_budgets
        if principal.client_id is not None:
            caller = f"client:{principal.client_id}"
            if principal.client_id in budgets:
                return caller, budgets[principal.client_id]
        else:
            caller = f"subject:{principal.subject}"
        return caller, budgets.get(principal.subject, self.settings.budget_per_minute)

    async def close(self) -> None:
        close = getattr(self.budget, "close", None)
        if close is not None:
            await close()

    def measure(
        self,
        report: CostReport,
        operation: NormalizedOperation,
        variables: Mapping[str, Any],
        data: Any,
    ) -> CostReport:
        """The report with the actual cost of ``data``, handed to every observer."""
        if self.wants_actual:
            report = replace(report, actual=actual_cost(self.schema, operation, variables, data))
        for observer in self.observers:
            try:
                observer(report)
            except Exception:  # a metrics hook must not fail the request it measures
                log.exception("a cost observer failed")
        return report
