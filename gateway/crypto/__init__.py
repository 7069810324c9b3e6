"""Encrypted fields: keys, envelopes, masks and the decryption audit; no GraphQL planning.

Modules: ``fields`` (which coordinates are encrypted, from the supergraph), ``keyring``
(opening envelopes), ``masks``, ``reader`` (the protect phase's opening: plaintext or mask,
audited), ``audit`` and ``audit_api`` (the log of plaintext reads and its GraphQL API),
``validation`` (plaintext inputs only as variables), ``runtime`` (``FieldCrypto``, what the
pipeline holds), ``rewrap`` and ``keys_cli`` (``tandem keys``). Who gets which form is the
authorization decision's (``gateway/authz/encrypted.py``, ``protection.py``, ``protect.py``).
``README.md`` says where plaintext may live.
"""

__all__: list[str] = []  # import from the modules
