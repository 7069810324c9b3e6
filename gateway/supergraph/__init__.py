"""Reading Federation 2 supergraphs: the model, the join directives and the API schema."""

from .loader import load_supergraph, parse_field_set, read_supergraph
from .model import FieldJoin, FieldMeta, Graph, Supergraph, TypeJoin, TypeMeta

__all__ = [
    "FieldJoin",
    "FieldMeta",
    "Graph",
    "Supergraph",
    "TypeJoin",
    "TypeMeta",
    "load_supergraph",
    "parse_field_set",
    "read_supergraph",
]
