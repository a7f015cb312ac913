"""Reading and cleaning registers: from a messy export to the canonical projects table."""
