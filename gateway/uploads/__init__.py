"""Documents as files: GraphQL multipart uploads read (``receive.py``), checked against the
plan (``plan.py``), forwarded to the owning subgraph (``forward.py``); downloads served by
URL with the caller's authorization checked by the subgraph (``downloads.py``)."""
