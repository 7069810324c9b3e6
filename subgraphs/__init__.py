"""Subgraphs that Tandem federates: the demo ones, and later OA and ERP."""

__all__: list[str] = []
