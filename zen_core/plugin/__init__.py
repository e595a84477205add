"""The plugin layer: hook specifications, discovery and loading, and the host that collects what plugins offer."""
