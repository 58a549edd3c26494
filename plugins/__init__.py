"""clinicops.plugins."""
