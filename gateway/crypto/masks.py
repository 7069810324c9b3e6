"""Masks: what a caller with ``read_masked`` sees of an encrypted value.

A mask is named in the field's ``@encrypted(mask: ...)``:

==================  =========================================  ==========================
mask                shows                                      ``"6222021000000101"``
==================  =========================================  ==========================
``LAST<n>``         the last *n* characters, a star for each   ``************0101``
                    one before them (the length shows)
``FIRST<n>``        the first *n* characters and three stars   ``6***``
                    (the length does not show)
``FIRST<n>LAST<m>`` both ends, stars between                   ``6222********0101``
``ALL``             four stars, whatever the value             ``****``
``NONE``            nothing: ``read_masked`` gives null and
                    ``FORBIDDEN``, as no permission does
==================  =========================================  ==========================

A mask never shows more than half of a value: when the kept characters would be more, only
stars are shown (``LAST4`` of ``"12345"`` is ``*****``). An object-typed field's mask applies
to each of its string leaves (``salary`` with ``ALL``: ``{amount: "****", currency: "****"}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

__all__ = ["NO_MASK", "MaskError", "mask_function"]

NO_MASK = "NONE"
_MASK = re.compile(r"^(?:FIRST(?P<first>[0-9]{1,2}))?(?:LAST(?P<last>[0-9]{1,2}))?$")


class MaskError(ValueError):
    """A mask name this gateway does not know (the supergraph is refused at start-up)."""


@lru_cache(maxsize=64)
def mask_function(name: str) -> Callable[[str], str] | None:
    """The function that masks values for ``name``; None for ``NONE`` (no masked form)."""
    if name == NO_MASK:
        return None
    if name == "ALL":
        return lambda _value: "****"
    match = _MASK.match(name)
    if match is None or not name:
        raise MaskError(f"unknown mask {name!r}: LAST<n>, FIRST<n>, FIRST<n>LAST<m>, ALL or NONE")
    first = int(match["first"] or 0)
    last = int(match["last"] or 0)
    if match["last"] is None:

        def head(value: str) -> str:
            kept = value[:first] if 2 * first <= len(value) else ""
            return kept + "***"

        return head

    def ends(value: str) -> str:
        if 2 * (first + last) > len(value):
            return "*" * len(value)
        tail = value[len(value) - last :] if last else ""
        return value[:first] + "*" * (len(value) - first - last) + tail

    return ends
