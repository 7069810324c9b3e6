"""Tests of the subgraphs, over real HTTP against real processes."""
