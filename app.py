"""WSGI entry point: ``gunicorn app:app`` in production, ``flask run`` in development."""

from conference import create_app

app = create_app()
