"""Media files in the generated dir: names, paths, embedded metadata, thumbnails, the file store."""
