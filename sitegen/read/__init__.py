"""Reading docs_dir: one scan of its files, YAML, front matter, the schema, the loader and its record cache."""
