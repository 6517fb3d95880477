"""Pod Security Standards (baseline and restricted) controls, tiered."""
