"""sitegen's default theme; MkDocs finds it through the ``mkdocs.themes`` entry point."""
