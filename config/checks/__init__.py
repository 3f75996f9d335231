"""Settings of each check family, one module per family (``checks.<name>`` in YAML)."""
