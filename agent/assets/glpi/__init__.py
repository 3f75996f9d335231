"""GLPI's native inventory format: the vendored schema (README.md) and the export (inventory.py)."""
