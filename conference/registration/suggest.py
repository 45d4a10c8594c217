"""“Did you mean …@gmail.com?”: spot a likely typo in the domain of an email address.

Pure: a string in, a suggestion or ``None`` out. A suggestion is only a hint; the visitor
may keep the address as typed.
"""

import difflib

# Mail services many attendees use. A domain a little different from one of these
# ("gmial.com", "hotmail.con", "yaho.com") is probably a typo.
COMMON_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "ymail.com",
    "rocketmail.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "protonmail.com",
    "proton.me",
    "comcast.net",
    "att.net",
    "verizon.net",
    "sbcglobal.net",
    "cox.net",
    "charter.net",
    "earthlink.net",
    "gmx.com",
    "yahoo.co.uk",
    "hotmail.co.uk",
)
# Real domains close to a common one: never "corrected".
KNOWN_DOMAINS = frozenset({*COMMON_DOMAINS, "mail.com", "protonmail.ch", "pm.me", "gmx.net"})
# difflib's similarity ratio above which a domain counts as a near miss.
CUTOFF = 0.8


def suggest_email(address):
    """Return ``address`` with its domain corrected, or ``None`` if it looks right.

    >>> suggest_email("layla@gmial.com")
    'layla@gmail.com'
    >>> suggest_email("layla@example.org") is None
    True
    """
    local, at, domain = (address or "").strip().rpartition("@")
    if not at or not local:
        return None
    domain = domain.lower().rstrip(".")
    if not domain or domain in KNOWN_DOMAINS:
        return None
    match = difflib.get_close_matches(domain, COMMON_DOMAINS, n=1, cutoff=CUTOFF)
    return f"{local}@{match[0]}" if match else None
