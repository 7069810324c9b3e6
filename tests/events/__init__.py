"""Tests of subgraphs.common.events: outbox, buses, relay, inbox, and the faults they survive."""
