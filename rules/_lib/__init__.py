"""Helpers shared by rules: pod specs, containers, quantities."""
