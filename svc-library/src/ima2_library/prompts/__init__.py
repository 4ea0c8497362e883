"""The prompt library: prompts, folders, favourites, JSON import and export."""
