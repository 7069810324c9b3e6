"""What the gateway and every subgraph share: formats, not services.

``tokens`` (the :class:`~tandem_shared.tokens.Principal` and the gateway-signed identity
token: claims, minting, verification), ``keys`` (the gateway's signing key pair), ``crypto``
and ``crypto_keys`` (the field envelope format, sealing, the blind index, the keyring),
``crypto_orm`` (sealing marked SQLAlchemy columns on flush), ``timestamps`` (ISO 8601 with an
offset; aware datetimes in the database) and ``db`` (async engines and Alembic migrations).

Pure in its imports: nothing here imports a GraphQL server, starlette, strawberry, the
gateway or any subgraph, so a third-party Python subgraph can verify the gateway's token and
seal its encrypted fields with this package alone (``tests/shared`` checks it in a fresh
interpreter). Import from the module; this package re-exports nothing.
"""

__all__: list[str] = []
