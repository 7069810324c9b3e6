"""The schema directives that mark encrypted fields, composed into the supergraph.

``@encrypted(mask: "LAST4")`` on a field: the subgraph returns the field's envelope (for an
object-typed field, every string leaf of the object carries the envelope of the whole object
as JSON), and the gateway decides per caller and object whether the client gets the plaintext,
the mask (``LAST4``, ``FIRST1``, ``FIRST3LAST4``, ``ALL``; ``NONE``: no masked form) or null
with ``FORBIDDEN``.

``@encryptedInput(field: "Employee.idCardNumber", search: false)`` on an argument or input
field: it carries a plaintext of that coordinate, which the subgraph checks and seals (or,
with ``search: true``, looks up through the blind index). The gateway refuses it as a literal
in a document (variables only) and, for ``search``, lets only callers who may read the field
in plaintext use it.

Both are linked from :data:`SPEC_URL` and composed with ``@composeDirective``; the gateway
reads them from the supergraph (``gateway/encrypted_fields.py``).
"""

from __future__ import annotations

from strawberry.federation.schema_directive import schema_directive
from strawberry.schema_directive import Location

from tandem_shared.crypto import SPEC_URL

__all__ = ["Encrypted", "EncryptedInput"]


@schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="encrypted",
    compose=True,
    import_url=SPEC_URL,
    description="Stored and returned as an encrypted envelope; shown by policy at the gateway.",
)
class Encrypted:
    mask: str = "NONE"


@schema_directive(
    locations=[Location.ARGUMENT_DEFINITION, Location.INPUT_FIELD_DEFINITION],
    name="encryptedInput",
    compose=True,
    import_url=SPEC_URL,
    description="Carries a plaintext of an encrypted field (or searches by one).",
)
class EncryptedInput:
    field: str
    search: bool = False
