"""``python -m subgraphs.erp [--port N]`` serves the ERP subgraph; ``... seed`` loads demo data;
``... audit verify`` checks the audit trail's hash chain (:mod:`subgraphs.common.audit_cli`);
``... events parked | retry ID | cancel ID`` works off parked events
(:mod:`subgraphs.common.parked_cli`); ``... reference snapshot`` publishes every item, supplier
and budget for OA's copy (:mod:`subgraphs.erp.reference_cli`)."""

from __future__ import annotations

import sys

from subgraphs.common.app import serve
from subgraphs.erp import NAME
from subgraphs.erp.app import build_app

DEFAULT_PORT = 4202


def main(argv: list[str]) -> None:
    """Serve, or with ``seed`` as the first argument migrate and load the demo data, then exit;
    ``audit verify`` checks the audit chain."""
    if argv[:1] == ["audit"]:
        from subgraphs.common.audit_cli import main as audit
        from subgraphs.erp.store.base import audit_log

        sys.exit(audit(NAME, audit_log, argv[1:]))
    if argv[:1] == ["events"]:
        from subgraphs.common.parked_cli import main as parked
        from subgraphs.erp.store.events import OUTBOX_TABLE
        from subgraphs.erp.worker import HANDLERS

        sys.exit(parked(NAME, OUTBOX_TABLE, HANDLERS, argv[1:]))
    if argv[:1] == ["reference"]:
        from subgraphs.erp.reference_cli import main as reference

        sys.exit(reference(argv[1:]))
    if argv[:1] == ["seed"]:
        from subgraphs.erp.seed import main as seed

        seed(argv[1:])
        return
    serve(build_app, NAME, default_port=DEFAULT_PORT, argv=argv)


if __name__ == "__main__":
    main(sys.argv[1:])
