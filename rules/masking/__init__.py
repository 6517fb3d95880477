"""Data masking: non-production environments must not read or hold unmasked production data."""
