"""Tests of tandem_shared: what the gateway and any Python subgraph share."""
