"""Encrypted fields: envelopes opened at the gateway, shown by policy, every plaintext audited.

Modules: ``fields`` (which coordinates are encrypted, from the supergraph), ``keyring``
(opening envelopes), ``masks``, ``policy`` (read_plain / read_masked per caller and object),
``protect`` (the plan-time step), ``reader`` (the shape-time step), ``audit`` and
``audit_api`` (the log of plaintext reads and its GraphQL API), ``validation`` (plaintext
inputs only as variables), ``runtime`` (``FieldCrypto``, what the pipeline holds),
``rewrap`` and ``keys_cli`` (``tandem keys``). ``README.md`` says where plaintext may live.
"""

__all__: list[str] = []  # import from the modules (the shaper imports only ``errors``)
