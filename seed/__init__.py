"""Demo data: organizations, people and modules, loaded through the services."""
