"""Secrets in links and cookies: random tokens, of which only a hash is stored.

A private link, a staff session or an invitation holds a token; the database keeps its
SHA-256, so a copy of the database opens nothing.
"""

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token():
    """A fresh random token, URL-safe (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token):
    """The hex SHA-256 of ``token``: what the database stores and looks up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
