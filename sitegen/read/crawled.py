"""The crawled-news format of stored texts: a header line, a byline, a dateline.

Texts that arrive from the crawler start `` date 2024-12-20 Title``, then a
byline, then a dateline (``BEIJING, Dec. 19 (Xinhua) --`` or
``新华社北京12月20日电``). The importer reads their metadata from them; quote
checking refuses quotes taken from them, since they are not the article's words.
"""

from __future__ import annotations

import re

HEADER_RE = re.compile(r"^[ \t]*date[ \t]+(\d{4}-\d{2}-\d{2})(?:[ \t]+(.*))?$")
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
DATELINE_RE = re.compile(
    r"^(?P<place>[^\W\d_](?:[^\W\d_]|[ .'\u2019-])*?),\s+" + _MONTH
    + r"\s+\d{1,2}\s+\((?P<agency>[^()]+)\)\s*(?:--|\u2014|\u2013)"
)
# 新华社北京12月20日电, 中新社华盛顿12月19日电, 人民网北京12月20日电（记者 …）: the agency ends
# in 社 (agency), 网 (site), 报 (paper) or 台 (station); the place runs up to the date.
CJK_DATELINE_RE = re.compile(
    r"^[【\[（(]?(?P<agency>[^\W\d_]{1,10}?[社网报台])(?P<place>[^\W\d_]{1,12}?)\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*[电讯]"
)
DATELINE_SCAN = 5  # non-blank lines after the header searched for the dateline


def lead_end(text: str) -> int:
    """Where the quotable words of a stored text begin: after the crawled header line
    (`` date YYYY-MM-DD Title``), the byline and the dateline (``BEIJING, Dec. 19 (Xinhua) --``)
    when the text has them; 0 for a text without them."""
    lines, pos = [], 0
    for line in text.split("\n"):
        lines.append((pos, line.removesuffix("\r")))
        pos += len(line) + 1
    header = bool(lines) and HEADER_RE.match(lines[0][1].removeprefix("\ufeff"))
    body = [(p, line) for p, line in lines[1 if header else 0:] if line.strip()]
    for p, line in body[:DATELINE_SCAN if header else 1]:
        indent = len(line) - len(line.lstrip())
        dateline = DATELINE_RE.match(line.strip())
        if dateline:
            end = p + indent + dateline.end()
            while end < len(text) and text[end] in " \t":
                end += 1
            return end
    return len(lines[0][1]) if header else 0
