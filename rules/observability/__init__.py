"""Observability rules: alert ownership and metrics scraping for production workloads."""
