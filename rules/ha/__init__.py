"""High availability: replicas, disruption budgets, spread, probes, database and cache redundancy."""
