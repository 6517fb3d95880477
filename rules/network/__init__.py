"""Network: default-deny policies, TLS, rate limits and exposure of routes and services."""
