"""docmost layer."""
