"""Domain services: the only code that writes the database. Views and the CLI call these."""
