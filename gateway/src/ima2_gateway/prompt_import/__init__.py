"""Prompt import from GitHub: sources, the GitHub client, candidate parsing and the importer."""
