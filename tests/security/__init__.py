"""Security and durability probes (issue 15), kept as tests: each ran against the real app, the
real CLI or the real stores, and failed before its fix."""
