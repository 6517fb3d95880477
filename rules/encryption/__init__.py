"""Encryption: data at rest and in transit, customer-managed keys and their rotation (cloud resources)."""
