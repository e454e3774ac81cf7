"""Whether the ``cname`` option is one host name, as GitHub Pages reads the CNAME file.

``deploy`` writes the option verbatim into ``CNAME``; a URL, a path, a second
name or a line break there gives a site that no custom domain serves, so the
value is checked when mkdocs.yml is read, with a message saying what to write.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# RFC 1123: a label is 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen.
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
MAX_LENGTH = 253  # characters in a whole name (RFC 1035, without the final dot)


def problem(name: str) -> str | None:
    """Why ``name`` is not one host name such as facts.example.org, or None if it is."""
    if "://" in name:
        try:
            host = urlsplit(name).hostname
        except ValueError:
            host = None
        return f"is a URL; write only its host name{f', {host}' if host else ''}"
    if any(c.isspace() for c in name):
        return "contains white space; write one host name"
    if any(c in name for c in "/?#@:"):
        return "must be a host name only, without a path, port, query or user"
    if not name.isascii():
        return "contains letters outside ASCII; write an internationalised domain in its xn-- form"
    if len(name) > MAX_LENGTH:
        return f"is longer than {MAX_LENGTH} characters, the most a host name can have"
    labels = name.split(".")
    if len(labels) < 2:
        return "is not a domain name: it needs at least one dot, as in facts.example.org"
    for label in labels:
        if not _LABEL.fullmatch(label):
            what = f"'{label}'" if label else "an empty part (two dots, or a dot at an end)"
            return (f"has {what}, which is not a DNS label: each part between dots is 1 to 63 letters, "
                    "digits and hyphens, not starting or ending with a hyphen")
    if labels[-1].isdigit():
        return "is an IP address, not a host name"
    return None
