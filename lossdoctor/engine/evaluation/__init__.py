"""Judging one run: run parameters, windowed checks and detectors, diagnoses, verdicts, the overview."""
