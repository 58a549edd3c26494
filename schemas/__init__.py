"""clinicops.schemas."""
