"""Running the service: backups and restores, and other tasks for whoever operates it."""
