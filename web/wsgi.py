"""The application for a WSGI server other than `ykt serve`, e.g. several gunicorn workers:

    gunicorn --workers 4 --bind 127.0.0.1:8000 --graceful-timeout 30 --timeout 120 'web.wsgi:app'

Settings come from the environment (core.config), as for every `ykt` command. A process made
from this module runs no scheduler: run `ykt worker` beside it (docs/operations.md)."""

from __future__ import annotations

from core import heap
from web import create_app

app = create_app()
heap.settle_after_start()  # with --preload, once in the parent, its objects shared by the workers
