"""Putting the site on disk: staging and the swap, in-place updates, the build cache, the search index."""
