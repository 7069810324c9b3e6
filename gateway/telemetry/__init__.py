"""Telemetry: traces (OpenTelemetry), metrics (prometheus-client), structured request logs.

``observation.py`` is what the pipeline and executor touch (notes on the running operation);
``recorder.py`` turns the notes into metrics (``metrics.py``), spans (``tracing.py``) and a log
line (``logs.py``). The HTTP layer begins and finishes each operation; ``http/factory.py``
builds :class:`Telemetry` from the settings.
"""

from .observation import Observation, observation, observing
from .recorder import Telemetry

__all__ = ["Observation", "Telemetry", "observation", "observing"]
