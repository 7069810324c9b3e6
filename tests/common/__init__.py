"""Tests of subgraphs/common: standards, database helpers, errors and the gateway identity."""
