"""Logging filter that keeps client addresses and browser fingerprints out of every log line.

Invariant 3 of DESIGN.md: no IP address or user agent of a survivor is stored or logged. Our own
code never logs them, Django's loggers do not either, and gunicorn's access log format leaves them
out (gunicorn.conf.py). This filter is the last line: whatever a library formats into a message,
any IP address or user-agent string in it is replaced before a handler writes it.
"""

import ipaddress
import logging
import re

# Candidate tokens; each is confirmed with the ipaddress module, so times such as 05:12:33 and
# version numbers such as 1.2.3 are left alone.
_IPV4_CANDIDATE = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])")
_IPV6_CANDIDATE = re.compile(
    r"(?<![\w:.])\[?[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?\]?"
)
# A user-agent string always starts with a product token like Mozilla/5.0 or curl/8.1 followed by
# details; we remove from the token to the end of the quoted field or line.
_USER_AGENT = re.compile(
    r"(?:Mozilla|Opera|curl|Wget|python-requests|python-urllib|Python-urllib|HeadlessChrome"
    r"|Chrome|Safari|Dalvik|okhttp)/[^\"\n]*"
)

REDACTED = "[redacted]"


def _replace_ip(match: re.Match[str]) -> str:
    token = match.group(0)
    bare = token.strip("[]").split("%", 1)[0]
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        return token
    return REDACTED


def redact(text: str) -> str:
    text = _USER_AGENT.sub(REDACTED, text)
    text = _IPV4_CANDIDATE.sub(_replace_ip, text)
    return _IPV6_CANDIDATE.sub(_replace_ip, text)


class RedactClientDetailsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        # Django attaches the request to some records (django.request, django.server); a formatter
        # that printed it would reveal REMOTE_ADDR, so drop it.
        if hasattr(record, "request"):
            record.request = None
        return True
