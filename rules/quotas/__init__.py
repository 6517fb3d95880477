"""Quotas: requests, limits, namespace quotas and autoscaling caps."""
