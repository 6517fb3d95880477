"""Secrets: literal credentials in env, ConfigMaps, args and annotations; committed Secrets; rotation."""
