"""Project merged subgraph data onto the client's selection, as GraphQL's CompleteValue does.

Gives the client exactly what it asked for: its response keys in its order, ``__typename``,
only the fields of the fragments that apply to each object's runtime type, and null
propagation: a null in a non-null position nulls the nearest nullable parent, with an error at
the field's path unless a subgraph already reported one there.

This is the hot path of every response, so the selection is compiled once per operation into
small tuples (one per field: response key, name, compiled type) and completion walks those;
paths are built only when an error needs one.

A field the authorization decision guards (denied, decided per object by a relation, or
encrypted) is a compiled kind of its own: its guard comes from :class:`Guards` when the shape is
compiled, and the request's :class:`Protect` (the protect phase, ``gateway/authz/protect.py``)
gives its value per object: the subgraph's value, a plaintext or a mask, or a
:class:`~gateway.errors.FieldError` (``FORBIDDEN``, ``DECRYPTION_FAILED``) that nulls the field
at its path. This module knows nothing of policy or keys.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Protocol

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    is_abstract_type,
    is_leaf_type,
)

from ..errors import FieldError
from ..operation import FieldSelection, Selection, collect_fields, merged_selections
from .leaves import FORMAT_CHECKS, FORMAT_FUNCTIONS, SCALAR_CHECKS, Owners, describe, lenient

__all__ = ["Guards", "Protect", "Shaper"]


class Guards(Protocol):
    """Which fields an authorization decision guards (``OperationDecision``)."""

    def guard(
        self, type_name: str, name: str, fields: Sequence[FieldSelection]
    ) -> Hashable | None: ...


class Protect(Protocol):
    """One request's protect phase (``gateway/authz/protect.py``)."""

    def value(self, guard: Any, obj: Mapping[str, Any], raw: Any) -> tuple[Any, bool]:
        """The client's value of a guarded field on ``obj`` and whether it was decrypted, or
        :class:`FieldError`."""
        ...


(
    _LEAF,
    _ENUM,
    _OBJECT,
    _ABSTRACT,
    _LIST,
    _NONNULL,
    _TYPENAME,
    _INTROSPECTION,
    _GUARDED,
    _SCALAR,
) = range(10)

# A compiled field: (response key, field name, parent type name, compiled type)
# A compiled type: (kind, payload...); _LEAF is a custom scalar (passed as is), _SCALAR a
# built-in one or one of a known format, checked: (_SCALAR, test, type name, test expression,
# subgraph(s)).


class _Bubble(Exception):
    """A null reached a non-null position; caught by the nearest nullable parent."""


class _ObjectShape:
    """The fields to produce for objects of one runtime type under one selection.

    ``function`` is generated Python (one straight-line statement per field), built on first
    use: interpreting the field list per object costs about twice as much. Only response keys
    and names that passed GraphQL validation (``[_A-Za-z][_0-9A-Za-z]*``) reach the source,
    and through ``repr``.
    """

    __slots__ = ("_function", "fields", "type_name")

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        self.fields: list[tuple[str, str, tuple[Any, ...]]] = []
        self._function: Any = None

    def function(self) -> Any:
        if self._function is None:
            self._function = _generate(self)
        return self._function


def _generate(shape: _ObjectShape) -> Any:
    """The shaping function: ``shape_object`` reads every field the subgraphs give with a
    subscript, all of them before anything else, and if one is missing hands the object to
    ``shape_missing``, the same code reading with ``get`` (a missing field is null); a read
    that fails has done nothing yet, so nothing is done twice.

    The body: each field's value in a local ``v<i>``, in the order of the fields (errors are
    recorded in that order), and the result built at the end as one dict display. The type test
    of a valid value comes first; null is looked at only when it fails. An object-typed field
    calls its object's shaping function directly."""
    read_fields = [
        (index, key)
        for index, (key, _, compiled) in enumerate(shape.fields)
        if compiled[0] not in (_TYPENAME, _INTROSPECTION, _GUARDED)
    ]
    missing = _body(shape, "shape_missing", lambda key, index: f"get({key!r})")
    present = _body(shape, "shape_object", lambda key, index: f"r{index}")
    prologue = ["    try:"]
    prologue += [f"        r{index} = value[{key!r}]" for index, key in read_fields]
    prologue += ["    except KeyError:", "        return shape_missing(run, value, path)"]
    if read_fields:
        present[1:1] = prologue
    missing.insert(1, "    get = value.get")
    namespace: dict[str, Any] = {"TYPE_NAME": shape.type_name, "Bubble": _Bubble}
    namespace.update(FORMAT_FUNCTIONS)
    for index, (_, _, compiled) in enumerate(shape.fields):
        namespace[f"C{index}"] = compiled
        if compiled[0] == _NONNULL:
            compiled = compiled[1]
        if compiled[0] == _OBJECT:
            namespace[f"F{index}"] = compiled[3]  # the cell of its shaping function
    source = "\n".join([*missing, *present])
    exec(compile(source, f"<shape {shape.type_name}>", "exec"), namespace)
    return namespace["shape_object"]


def _body(shape: _ObjectShape, name: str, read: Callable[[str, int], str]) -> list[str]:
    """The lines of a shaping function called ``name`` reading field ``key`` (the ``index``-th)
    of the subgraph value with ``read(key, index)``."""
    lines = [f"def {name}(run, value, path):"]
    values: list[str] = []
    for index, (key, name, compiled) in enumerate(shape.fields):
        k, n, c, v = repr(key), repr(name), f"C{index}", f"v{index}"
        kind = compiled[0]
        inner = compiled[1] if kind == _NONNULL else None
        if kind == _TYPENAME:
            values.append(f"{k}: TYPE_NAME")
            continue
        values.append(f"{k}: {v}")
        if kind == _LEAF:
            lines.append(f"    {v} = {read(key, index)}")
        elif kind == _INTROSPECTION:
            lines.append(f"    {v} = run.introspection.get({k})")
        elif kind == _GUARDED:
            lines.append(f"    {v} = run.guarded({c}, value, path, {k})")
        elif kind == _SCALAR and not compiled[1](None):
            lines.append(f"    {v} = raw = {read(key, index)}")
            lines.append(f"    if not {compiled[3]} and raw is not None:")
            lines.append(f"        {v} = run.bad_leaf({c}, raw, path, {k})")
        elif inner is not None and inner[0] == _SCALAR and not inner[1](None):
            lines.append(f"    {v} = raw = {read(key, index)}")
            lines.append(f"    if not {inner[3]}:")
            lines.append("        if raw is not None:")
            lines.append(f"            {v} = run.bad_leaf({c}[1], raw, path, {k})")
            lines.append(f"        if {v} is None:")
            lines.append(f"            run.null_field(TYPE_NAME, {n}, path, {k})")
        elif inner is not None and inner[0] == _OBJECT:
            # an object's shaping function is called here, not through ``complete``: this is
            # most of the nesting of a large response
            lines.append(f"    raw = {read(key, index)}")
            lines.append("    if type(raw) is dict:")
            lines.append(f"        {v} = (F{index}[0] or run.object_function({c}[1]))(run,")
            lines.append(f"            raw, (path, {k}))")
            lines.append("    else:")
            lines.append(f"        {v} = raw if raw is None else run.complete({c}[1], raw,")
            lines.append(f"            (path, {k}))")
            lines.append(f"        if {v} is None:")
            lines.append(f"            run.null_field(TYPE_NAME, {n}, path, {k})")
        elif inner is not None and inner[0] == _LEAF:
            lines.append(f"    {v} = {read(key, index)}")
            lines.append(f"    if {v} is None:")
            lines.append(f"        run.null_field(TYPE_NAME, {n}, path, {k})")
        elif inner is not None:
            lines.append(f"    raw = {read(key, index)}")
            lines.append(f"    {v} = raw if raw is None else run.complete({c}[1], raw,")
            lines.append(f"        (path, {k}))")
            lines.append(f"    if {v} is None:")
            lines.append(f"        run.null_field(TYPE_NAME, {n}, path, {k})")
        else:
            lines.append(f"    {v} = raw = {read(key, index)}")
            lines.append("    if raw is not None:")
            lines.append("        try:")
            if kind == _OBJECT:
                lines.append("            if type(raw) is dict:")
                lines.append(f"                {v} = (F{index}[0] or run.object_function({c}))(")
                lines.append(f"                    run, raw, (path, {k}))")
                lines.append("            else:")
                lines.append(f"                {v} = run.complete({c}, raw, (path, {k}))")
            else:
                lines.append(f"            {v} = run.complete({c}, raw, (path, {k}))")
            lines.append("        except Bubble:")
            lines.append(f"            {v} = None")
    lines.append("    return {" + ", ".join(values) + "}")
    return lines


class Shaper:
    """Shapes results for one normalized operation; compiles lazily, reuses across requests."""

    def __init__(
        self,
        schema: GraphQLSchema,
        selections: tuple[Selection, ...],
        root_type: str,
        hidden_types: frozenset[str] = frozenset(),
        *,
        guards: Guards | None = None,
        owners: Owners | None = None,
    ):
        self.schema = schema
        self.owners = owners  # names the subgraph(s) of a field in errors about its values
        self.guards = guards  # the authorization decision; None: nothing guarded
        # in the supergraph, not in the API schema: types, and enum values as "Enum.VALUE"
        self.hidden_types = hidden_types
        self.selections = selections
        self.root_type = root_type
        self._shapes: dict[tuple[int, str, str | None], _ObjectShape] = {}
        self._keep: list[Sequence[Selection]] = []

    def object_shape(
        self, selections: Sequence[Selection], type_name: str, via: str | None = None
    ) -> _ObjectShape:
        """``via``: the subgraph the object came from, if known (names it in errors)."""
        cache_key = (id(selections), type_name, via)
        shape = self._shapes.get(cache_key)
        if shape is not None:
            return shape
        shape = _ObjectShape(type_name)
        self._shapes[cache_key] = shape
        self._keep.append(selections)
        gql_type = self.schema.type_map[type_name]
        fields = gql_type.fields  # type: ignore[attr-defined]
        for key, same_key in collect_fields(self.schema, selections, type_name).items():
            name = same_key[0].name
            if name == "__typename":
                shape.fields.append((key, name, (_TYPENAME,)))
            elif name in ("__schema", "__type"):
                shape.fields.append((key, name, (_INTROSPECTION,)))
            elif name in fields:
                sub = merged_selections(same_key) if same_key[0].selections is not None else ()
                owner = self._owner(type_name, name, via)
                compiled = self._compile(fields[name].type, sub, owner)
                guard = (
                    self.guards.guard(type_name, name, same_key)
                    if self.guards is not None
                    else None
                )
                if guard is not None:  # decided per object by the protect phase
                    nonnull = isinstance(fields[name].type, GraphQLNonNull)
                    inner = compiled[1] if nonnull else compiled
                    compiled = (_GUARDED, guard, inner, nonnull, type_name, name)
                shape.fields.append((key, name, compiled))
        return shape

    def _owner(self, type_name: str, name: str, via: str | None) -> str | None:
        if self.owners is None:
            return None
        candidates = self.owners(type_name, name)
        if via in candidates:
            return via
        return " or ".join(candidates) or None

    def _compile(
        self, gql_type: Any, selections: Sequence[Selection], owner: str | None = None
    ) -> tuple[Any, ...]:
        if isinstance(gql_type, GraphQLNonNull):
            return (_NONNULL, self._compile(gql_type.of_type, selections, owner))
        if isinstance(gql_type, GraphQLList):
            return (_LIST, self._compile(gql_type.of_type, selections, owner), owner)
        if isinstance(gql_type, GraphQLEnumType):
            prefix = gql_type.name + "."
            hidden = frozenset(
                name[len(prefix) :] for name in self.hidden_types if name.startswith(prefix)
            )
            return (_ENUM, frozenset(gql_type.values), gql_type.name, owner, hidden)
        if is_leaf_type(gql_type):
            format_url = getattr(gql_type, "specified_by_url", None) or ""
            check = SCALAR_CHECKS.get(gql_type.name) or FORMAT_CHECKS.get(format_url)
            if check is None:
                return (_LEAF,)
            return (_SCALAR, check[0], gql_type.name, check[1], owner)
        if is_abstract_type(gql_type):
            return (_ABSTRACT, gql_type, selections, owner)
        # [shape function], set once
        return (_OBJECT, gql_type.name, selections, [None], owner)

    def shape(
        self,
        data: Mapping[str, Any],
        errors: list[dict[str, Any]],
        introspection: Mapping[str, Any] | None = None,
        protect: Protect | None = None,
    ) -> dict[str, Any] | None:
        """The client's data; ``protect`` gives guarded fields their values (None: every guarded
        field is refused, as by a protect phase that opens nothing)."""
        run = _Run(self, errors, introspection or {})
        run.protect = protect
        try:
            return run.object(self.object_shape(self.selections, self.root_type), data, None)
        except _Bubble:
            return None


def _selections_of(compiled: tuple[Any, ...]) -> Sequence[Selection]:
    """The sub-selections of a compiled object, abstract or list-of-object field."""
    while compiled[0] in (_NONNULL, _LIST):
        compiled = compiled[1]
    return compiled[2] if compiled[0] in (_OBJECT, _ABSTRACT) else ()


def _response_keyed(
    schema: GraphQLSchema, gql_type: Any, selections: Sequence[Selection], value: Any
) -> Any:
    """A decrypted value (an object keyed by field names, as its subgraph sealed it) keyed by
    the client's response keys, so an alias inside an encrypted field's selection
    (``salary { x: amount }``) finds its value like any other field."""
    while isinstance(gql_type, GraphQLNonNull):
        gql_type = gql_type.of_type
    if value is None or is_leaf_type(gql_type):
        return value
    if isinstance(gql_type, GraphQLList):
        if not isinstance(value, list):
            return value
        return [_response_keyed(schema, gql_type.of_type, selections, item) for item in value]
    if not isinstance(value, dict):
        return value  # the shaper reports what is not an object
    type_name = value.get("__typename") if is_abstract_type(gql_type) else gql_type.name
    object_type = schema.type_map.get(type_name) if isinstance(type_name, str) else None
    if object_type is None:
        return value
    result: dict[str, Any] = {"__typename": type_name} if "__typename" in value else {}
    for key, same_key in collect_fields(schema, selections, object_type.name).items():
        name = same_key[0].name
        if name not in value:
            continue
        child = value[name]
        if same_key[0].selections is not None and name in object_type.fields:  # type: ignore[attr-defined]
            child = _response_keyed(
                schema,
                object_type.fields[name].type,  # type: ignore[attr-defined]
                merged_selections(same_key),
                child,
            )
        result[key] = child
    return result


def _path_list(path: tuple[Any, Any] | None) -> list[Any]:
    items: list[Any] = []
    while path is not None:
        path, key = path
        items.append(key)
    items.reverse()
    return items


class _Run:
    def __init__(
        self,
        shaper: Shaper,
        errors: list[dict[str, Any]],
        introspection: Mapping[str, Any],
    ) -> None:
        self.shaper = shaper
        self.schema = shaper.schema
        self.errors = errors
        self.introspection = introspection
        self.protect: Protect | None = None
        self._error_paths: set[tuple[Any, ...]] | None = None
        self._exact_paths: set[tuple[Any, ...]] = set()

    def _has_error_at(self, path: list[Any]) -> bool:
        """Whether an error already covers ``path``: at it, below it or above it."""
        if self._error_paths is None:
            below: set[tuple[Any, ...]] = set()
            exact: set[tuple[Any, ...]] = set()
            for error in self.errors:
                error_path = error.get("path")
                if isinstance(error_path, list):
                    exact.add(tuple(error_path))
                    for end in range(1, len(error_path) + 1):
                        below.add(tuple(error_path[:end]))
                elif str(error.get("extensions", {}).get("code", "")).startswith("SUBGRAPH"):
                    exact.add(())
            self._error_paths = below
            self._exact_paths = exact
        if tuple(path) in self._error_paths:
            return True
        return any(tuple(path[:end]) in self._exact_paths for end in range(len(path)))

    def _error(
        self, message: str, path: list[Any], *, always: bool = False, service: str | None = None
    ) -> None:
        if always or not self._has_error_at(path):
            extensions = {"code": "INVALID_SUBGRAPH_RESPONSE"}
            if service is not None:
                extensions["serviceName"] = service
            self.errors.append({"message": message, "path": path, "extensions": extensions})
            if self._error_paths is not None:
                self._exact_paths.add(tuple(path))
                for end in range(1, len(path) + 1):
                    self._error_paths.add(tuple(path[:end]))

    def object(
        self, shape: _ObjectShape, value: Mapping[str, Any], path: tuple[Any, Any] | None
    ) -> dict[str, Any]:
        return shape.function()(self, value, path)  # type: ignore[no-any-return]

    def _invalid(
        self, expected: str, raw: Any, path: tuple[Any, Any], owner: str | None = None
    ) -> None:
        """A subgraph value of the wrong shape: null, with an error (never the value)."""
        who = f"Subgraph {owner}" if owner is not None else "A subgraph"
        self._error(
            f"{who} returned {describe(raw)} where {expected} was expected.",
            _path_list(path),
            always=True,
            service=owner,
        )

    def bad_leaf(
        self, compiled: tuple[Any, ...], raw: Any, path: tuple[Any, Any] | None, key: str
    ) -> Any:
        """A built-in scalar of the wrong type (generated code calls this off the fast path)."""
        return self._wrong_leaf(compiled, raw, (path, key))

    def _wrong_leaf(self, compiled: tuple[Any, ...], raw: Any, path: tuple[Any, Any]) -> Any:
        converted = lenient(compiled[2], raw)
        if converted is not None:
            return converted
        return self._invalid(f"a {compiled[2]}", raw, path, compiled[4])

    def guarded(
        self,
        compiled: tuple[Any, ...],
        value: Mapping[str, Any],
        path: tuple[Any, Any] | None,
        key: str,
    ) -> Any:
        """A field the authorization decision guards: the protect phase's value for this
        object, or null with its ``FieldError`` at the field's path (bubbling when non-null)."""
        _, guard, inner, nonnull, type_name, name = compiled
        assert self.protect is not None  # the pipeline protects what its decision guards
        try:
            revealed, decrypted = self.protect.value(guard, value, value.get(key))
        except FieldError as error:
            self.errors.append(
                {
                    "message": error.message,
                    "path": _path_list((path, key)),
                    "extensions": {"code": error.code, **error.extensions},
                }
            )
            if nonnull:
                raise _Bubble from None
            return None
        if decrypted:
            if revealed is not None and inner[0] not in (_LEAF, _SCALAR):
                field_type = self.schema.type_map[type_name].fields[name].type  # type: ignore[attr-defined]
                revealed = _response_keyed(self.schema, field_type, _selections_of(inner), revealed)
                try:
                    revealed = self.complete(inner, revealed, (path, key))
                except _Bubble:
                    revealed = None
            if revealed is None and nonnull:
                self.null_field(type_name, name, path, key)
            return revealed
        if nonnull:
            completed = None if revealed is None else self.complete(inner, revealed, (path, key))
            if completed is None:
                self.null_field(type_name, name, path, key)
            return completed
        if revealed is None:
            return None
        try:
            return self.complete(inner, revealed, (path, key))
        except _Bubble:
            return None

    def null_field(self, type_name: str, name: str, path: tuple[Any, Any] | None, key: str) -> None:
        """A non-null field is null: record the error (unless a subgraph did) and bubble."""
        self._error(
            f"Cannot return null for non-nullable field {type_name}.{name}.",
            _path_list((path, key)),
        )
        raise _Bubble

    def object_function(self, compiled: tuple[Any, ...]) -> Any:
        """The generated shaping function of an object-typed value, found once per site."""
        cell = compiled[3]
        if cell[0] is None:
            cell[0] = self.shaper.object_shape(compiled[2], compiled[1], compiled[4]).function()
        return cell[0]

    def complete(self, compiled: tuple[Any, ...], raw: Any, path: tuple[Any, Any]) -> Any:
        kind = compiled[0]
        if raw is None:
            return None
        if kind == _OBJECT:  # the most frequent kinds first
            if type(raw) is not dict:
                return self._invalid("an object", raw, path, compiled[4])
            return self.object_function(compiled)(self, raw, path)
        if kind == _SCALAR:
            return raw if compiled[1](raw) else self._wrong_leaf(compiled, raw, path)
        if kind == _LEAF:
            return raw
        if kind == _LIST:
            if not isinstance(raw, list):
                return self._invalid("a list", raw, path, compiled[2])
            item = compiled[1]
            item_kind = item[0]
            if item_kind == _NONNULL:
                inner = item[1]
                items = []
                shape_object = self.object_function(inner) if inner[0] == _OBJECT else None
                for index, element in enumerate(raw):
                    if shape_object is not None and type(element) is dict:
                        items.append(shape_object(self, element, (path, index)))
                        continue
                    completed = (
                        element
                        if inner[0] == _LEAF or element is None
                        else self.complete(inner, element, (path, index))
                    )
                    if completed is None:
                        self._error(
                            "Cannot return null for non-nullable list item.",
                            _path_list((path, index)),
                        )
                        raise _Bubble
                    items.append(completed)
                return items
            if item_kind == _LEAF:
                return list(raw)
            if item_kind == _SCALAR:
                test = item[1]
                if all(element is None or test(element) for element in raw):
                    return list(raw)
            results = []
            for index, element in enumerate(raw):
                try:
                    results.append(self.complete(item, element, (path, index)))
                except _Bubble:
                    results.append(None)
            return results
        if kind == _NONNULL:
            completed = self.complete(compiled[1], raw, path)
            if completed is None:
                self._error("Cannot return null for non-nullable value.", _path_list(path))
                raise _Bubble
            return completed
        if kind == _ENUM:
            if not isinstance(raw, str) or raw not in compiled[1]:
                if raw in compiled[4]:
                    return None  # an @inaccessible value: not the client's to see
                self._error(
                    f"Enum {compiled[2]} cannot represent value {raw!r}.",
                    _path_list(path),
                    always=True,
                    service=compiled[3],
                )
                return None
            return raw
        if kind == _ABSTRACT:
            owner = compiled[3]
            if not isinstance(raw, dict):
                return self._invalid("an object", raw, path, owner)
            abstract = compiled[1]
            typename = raw.get("__typename")
            runtime = self.schema.type_map.get(typename) if typename else None
            if (runtime is None and typename is None) or runtime is abstract:
                # an @interfaceObject subgraph knows only the interface: shape by it, unless
                # the client asks which type it is (an abstract type's name never is one)
                if isinstance(abstract, GraphQLInterfaceType):
                    shape = self.shaper.object_shape(compiled[2], abstract.name, owner)
                    if not any(spec[0] is _TYPENAME for _, _, spec in shape.fields):
                        return self.object(shape, raw, path)
                    return self._invalid(
                        f"an object of a concrete {abstract.name} type", raw, path, owner
                    )
                return self._invalid(f"an object of a {abstract.name} member", raw, path, owner)
            if runtime is None:
                if typename in self.shaper.hidden_types:
                    return None  # an @inaccessible type: not the client's to see
                return self._invalid(f"a {abstract.name}", raw, path, owner)
            if not isinstance(runtime, GraphQLObjectType) or not self.schema.is_sub_type(
                abstract, runtime
            ):
                return self._invalid(f"a {abstract.name}", raw, path, owner)
            return self.object(
                self.shaper.object_shape(compiled[2], runtime.name, owner), raw, path
            )
        return raw
