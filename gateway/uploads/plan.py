"""Which fetch of a plan carries an upload's files, if the plan can carry them at all.

The files go to one subgraph, the one whose root mutation field takes them: they are
forwarded with that fetch (``forward.py``) and with no other. So the operation must be a
mutation, each file must go into a variable of type ``Upload``, and exactly one fetch may
use the variables the files fill: a root fetch (not an entity fetch, which could fan out to
many objects). Any other shape is refused before anything runs, with
``UPLOAD_NOT_FORWARDABLE``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final

from ..errors import OperationError
from ..planner.plan import BatchNode, FetchNode, FlattenNode, PlanNode, QueryPlan

__all__ = ["UPLOAD", "UploadNotForwardable", "upload_fetch"]

UPLOAD: Final = "Upload"
"""The scalar of the multipart request specification, declared by the subgraphs taking files."""


class UploadNotForwardable(OperationError):
    """An upload whose files no single root mutation field of one subgraph takes."""

    code = "UPLOAD_NOT_FORWARDABLE"
    status = 400


def upload_fetch(
    kind: str, plan: QueryPlan, variables: frozenset[str], types: Mapping[str, str]
) -> FetchNode:
    """The one root fetch that takes ``variables`` (the files' variables, each declared an
    ``Upload``, in lists or not: ``types`` gives each variable's type as written)."""
    if kind != "mutation":
        raise UploadNotForwardable("files are uploaded with a mutation")
    for name in sorted(variables):
        if types.get(name, "").replace("[", "").replace("]", "").replace("!", "") != UPLOAD:
            raise UploadNotForwardable(f"a file goes into a variable of type Upload, not ${name}")
    taking = [
        (fetch, entity)
        for fetch, entity in _fetches(plan.node, False)
        if variables & set(fetch.variable_usages)
    ]
    if not taking:
        raise UploadNotForwardable("no field of the operation takes the uploaded files")
    if len(taking) > 1 or taking[0][1]:
        raise UploadNotForwardable(
            "the uploaded files must go to root mutation fields of one subgraph, taken together"
        )
    fetch = taking[0][0]
    assert isinstance(fetch, FetchNode)  # a batch is an entity fetch
    return fetch


def _fetches(node: PlanNode | None, entity: bool) -> Iterator[tuple[FetchNode | BatchNode, bool]]:
    """Every fetch of the plan, and whether it is an entity fetch."""
    if node is None:
        return
    if isinstance(node, FetchNode | BatchNode):
        yield node, entity or isinstance(node, BatchNode)
    elif isinstance(node, FlattenNode):
        yield from _fetches(node.node, True)
    else:
        for child in getattr(node, "nodes", ()):
            yield from _fetches(child, entity)
