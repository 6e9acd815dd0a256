"""The model: the one schema of a story's tables, their vocabularies, problems and story file.

Nothing here reads a file format or draws anything; every other layer builds on it.
"""
