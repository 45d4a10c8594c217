"""Small helpers for views of every feature."""

from flask import make_response


def private(body, status=200):
    """A response that no browser or proxy stores: pages with people's details on them,
    so a shared phone's Back button shows fresh state and nothing lingers in a cache."""
    response = make_response(body, status)
    response.cache_control.no_store = True
    return response
