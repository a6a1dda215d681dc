"""Infrastructure every layer shares: configuration, the database, the clock."""
