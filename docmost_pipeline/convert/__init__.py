"""convert layer."""
