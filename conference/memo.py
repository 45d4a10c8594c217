"""A small per-process memo of rendered HTML, keyed by what the page was read from.

A page whose body depends only on rows read in the same request (a registration and its
places, the conference's content version, the language) can keep its rendered HTML under
a key built from those values: the next request reads them again (the cheap part) and, if
they are the same, answers with the kept HTML instead of rendering the template (the dear
part). The key comes from the database each time, so a change made by any process or host
shows on the next request; nothing is ever invalidated by hand and nothing goes stale.

The memo lives in this process's memory only, is bounded (least recently used go first)
and is thread-safe. Callers put in the key everything that tells one person's page from
another's (the registration's id, the private link itself) and check access before
asking: a key never opens a page, it only saves rendering one. A page with forms keeps
a slot for its CSRF token, filled per request (``get_or_render_form_page``).
"""

import threading
from collections import OrderedDict

from flask_wtf.csrf import generate_csrf

# What stands for the request's CSRF token in a kept page (a character HTML never holds).
CSRF_SLOT = "\ufffecsrf\ufffe"


class RenderMemo:
    """A bounded, thread-safe LRU memo: ``get_or_render(key, render)``."""

    def __init__(self, maxsize=512):
        self.maxsize = maxsize
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get_or_render(self, key, render):
        """Return the kept value for ``key``, or ``render()`` (kept for the next time)."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
                return value
        value = render()  # outside the lock: two racing renders give the same text
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return value

    def get_or_render_form_page(self, key, render):
        """As ``get_or_render``, for a page with forms: their CSRF token is this request's.

        A token is signed with the time it was made, so no two requests show the same
        one; the kept HTML holds a slot where the token was, and each answer fills it
        with the token of the request it answers (the session's own, as a render would).
        """
        token = generate_csrf()
        kept = self.get_or_render(key, lambda: render().replace(token, CSRF_SLOT))
        return kept.replace(CSRF_SLOT, token)

    def clear(self):
        with self._lock:
            self._items.clear()

    def __len__(self):
        return len(self._items)
