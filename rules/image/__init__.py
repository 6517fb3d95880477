"""Image provenance: tags, digests, registries and pull policy of container images."""
