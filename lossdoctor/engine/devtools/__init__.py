"""Tooling for rule authors: generated reference docs, rule unit tests, the synthetic-series notation."""
