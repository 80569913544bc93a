"""Reference code tables."""
