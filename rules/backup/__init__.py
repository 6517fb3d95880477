"""Backup rules: Velero schedules, CloudNativePG backups, retention, encryption and restore tests."""
