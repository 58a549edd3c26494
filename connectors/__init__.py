"""clinicops.connectors."""
