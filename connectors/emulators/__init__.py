"""clinicops.connectors.emulators."""
