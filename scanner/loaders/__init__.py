"""Input loaders, one module per input kind."""
