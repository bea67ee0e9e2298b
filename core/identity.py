"""Who someone is, without accounts: a secret key kept by their browser, or the subject a
login provider vouches for, turned into the owner id stored with their jobs and runs.

The key never travels in a URL (a link someone copies carries what to look at, never who
they are), and what is stored is a one-way hash of it: an owner id read from a job's
files cannot be used to act as its owner.
"""

from __future__ import annotations

import hashlib
import re
import secrets

COOKIE = "rnnlab_key"  # the browser's key (a cookie, so the first request already has it)
COOKIE_MAX_AGE_S = 400 * 24 * 3600  # the longest lifetime browsers keep a cookie
SESSION_KEY = "_browser_key"  # where a page session keeps its browser's key
_KEY = re.compile(r"^[0-9a-f]{32}$")


def new_browser_key() -> str:
    """A fresh secret for a browser that has none (128 random bits, as hex)."""
    return secrets.token_hex(16)


def valid_browser_key(value: object) -> bool:
    """Whether a cookie's value has a browser key's shape (anything else is ignored)."""
    return isinstance(value, str) and bool(_KEY.match(value))


def owner_id(secret: str, scheme: str = "browser") -> str:
    """The owner id for a browser key (`scheme` "browser") or a login subject ("login"):
    32 hex characters that reveal nothing about the secret."""
    if not secret:
        raise ValueError("An owner id needs a secret.")
    return hashlib.sha256(f"rnnlab-owner\x00{scheme}\x00{secret}".encode()).hexdigest()[:32]
