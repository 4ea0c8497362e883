"""Database plumbing: connections and versioned schema migrations."""
