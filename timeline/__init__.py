"""A sourced, geocoded event table of a news story, and the views of it the app draws.

The package's layers are its folders (see the README's Layout); nothing is imported here, so
that opening a stored table does not load the readers it will not use.
"""
