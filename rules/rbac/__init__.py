"""RBAC: cluster-admin bindings, wildcards, secret reads, escalation, exec, service accounts, duties."""
