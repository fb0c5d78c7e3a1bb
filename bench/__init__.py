"""Benchmarks that print figures (not pass/fail tests). Run each as `python -m bench.<name> --help`."""
