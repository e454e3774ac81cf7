"""From the resolved site to bytes: Markdown, the views templates read, one function per page family, feeds."""
