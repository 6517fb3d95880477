"""Release-class classifiers: one module per class, each with a META and classify(change, ctx)."""
