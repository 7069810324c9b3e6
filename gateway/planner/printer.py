"""Print a :class:`QueryPlan` in a stable, readable text form (golden tests compare it)."""

from __future__ import annotations

from .plan import (
    BatchNode,
    DeferredNode,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    RepresentationField,
    RepresentationFragment,
    RepresentationItem,
    SequenceNode,
)

__all__ = ["print_plan", "print_requires"]

_INDENT = "  "


def print_plan(plan: QueryPlan) -> str:
    lines = ["QueryPlan {"]
    if plan.deferred:
        _defer(plan.node, plan.deferred, lines)
    elif plan.node is not None:
        _node(plan.node, 1, lines)
    lines.append("}")
    return "\n".join(lines)


def _defer(primary: PlanNode | None, deferred: tuple[DeferredNode, ...], lines: list[str]) -> None:
    """``Defer { Primary { ... }, Deferred(...) { ... }, ... }``, as Apollo prints DeferNode."""
    pad, inner = _INDENT, _INDENT * 2
    lines.append(f"{pad}Defer {{")
    lines.append(f"{inner}Primary {{")
    if primary is not None:
        _node(primary, 3, lines)
    lines.append(f"{inner}}},")
    for part in deferred:
        label = f', label: "{part.label}"' if part.label is not None else ""
        lines.append(
            f'{inner}Deferred(path: "{".".join(part.path)}", type: "{part.type_name}"{label}) {{'
        )
        if part.node is not None:
            _node(part.node, 3, lines)
        lines.append(f"{inner}}},")
    lines.append(f"{pad}}},")


def _node(node: PlanNode, depth: int, lines: list[str]) -> None:
    pad = _INDENT * depth
    match node:
        case SequenceNode(nodes=nodes):
            lines.append(f"{pad}Sequence {{")
            for child in nodes:
                _node(child, depth + 1, lines)
            lines.append(f"{pad}}},")
        case ParallelNode(nodes=nodes):
            lines.append(f"{pad}Parallel {{")
            for child in nodes:
                _node(child, depth + 1, lines)
            lines.append(f"{pad}}},")
        case FlattenNode(path=path, node=fetch):
            lines.append(f'{pad}Flatten(path: "{".".join(path)}") {{')
            _node(fetch, depth + 1, lines)
            lines.append(f"{pad}}},")
        case BatchNode(service_name=service_name, parts=parts):
            lines.append(f'{pad}Batch(service: "{service_name}") {{')
            for part in parts:
                _node(part, depth + 1, lines)
            lines.append(f"{pad}}},")
        case FetchNode():
            _fetch(node, depth, lines)


def _fetch(node: FetchNode, depth: int, lines: list[str]) -> None:
    pad = _INDENT * depth
    inner = _INDENT * (depth + 1)
    lines.append(f'{pad}Fetch(service: "{node.service_name}") {{')
    if node.requires is not None:
        lines.append(f"{inner}{{")
        for fragment in node.requires:
            lines.append(f"{inner}{_INDENT}{_rep_item(fragment)}")
        lines.append(f"{inner}}} =>")
    lines.append(f"{inner}{node.selection_text or node.operation}")
    for rewrite in node.context_rewrites:
        source = ".".join((*rewrite.ancestor_path, *rewrite.keys))
        lines.append(f"{inner}${rewrite.variable} <= {source}")
    lines.append(f"{pad}}},")


def print_requires(requires: tuple[RepresentationFragment, ...]) -> list[str]:
    """An entity fetch's ``requires``, one line per fragment, as the plan prints them."""
    return [_rep_item(fragment) for fragment in requires]


def _rep_item(item: RepresentationItem) -> str:
    if isinstance(item, RepresentationFragment):
        inner = " ".join(_rep_item(child) for child in item.selections)
        return f"... on {item.type_condition} {{ {inner} }}"
    assert isinstance(item, RepresentationField)
    text = item.name if item.data_key == item.name else f"{item.data_key}: {item.name}"
    if item.selections:
        text += " { " + " ".join(_rep_item(child) for child in item.selections) + " }"
    return text
