"""svc-library: the only writer of the generated media, their sidecars and thumbnails, and the database."""
