"""Encrypted fields: keys, envelopes, masks and the decryption audit; no GraphQL planning.

Modules: ``keyring`` (opening envelopes), ``masks``, ``reader`` (the protect phase's opening:
plaintext or mask, audited), ``audit`` and ``audit_api`` (the log of plaintext reads and its
GraphQL API), ``runtime`` (``FieldCrypto``, what the pipeline holds), ``rewrap`` and
``keys_cli`` (``tandem keys``). Which coordinates are encrypted is read from the supergraph
by ``gateway/encrypted_fields.py``, plaintext inputs only as variables checked by
``gateway/encrypted_inputs.py``; who gets which form is the authorization decision's
(``gateway/authz/encrypted.py``, ``protection.py``, ``protect.py``).
``README.md`` says where plaintext may live.
"""

__all__: list[str] = []  # import from the modules
