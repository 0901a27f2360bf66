"""Areas split by who uses them, over the shared core (models, services, access)."""
