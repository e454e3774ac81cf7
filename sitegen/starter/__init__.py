"""The files ``sitegen new site`` writes: a small site that builds as it is.

A path component starting with ``dot-`` is written with a leading dot
(``dot-gitignore`` becomes ``.gitignore``): files whose names start with a dot
would be left out of the package by its data globs.
"""
