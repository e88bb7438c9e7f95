"""The `magnets` command line: the one place that uses both the optimizer and the service."""
