"""Submission intake: read files, normalise, validate against the catalogue (pandera), load into the warehouse."""
