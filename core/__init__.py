"""clinicops.core."""
