"""Patrol's settings: one declared schema (pydantic), loaded from YAML with precise errors."""
