"""clinicops.examples."""
