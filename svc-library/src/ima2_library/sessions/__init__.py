"""Sessions, their node graphs and style sheets."""
