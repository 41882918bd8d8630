"""The intake view, its controller (accept / 补正 / refuse) and its parts."""
