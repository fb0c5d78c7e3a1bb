"""Things loaded once per process, on first use (models, converters, thread pools)."""

import functools
import threading


def once(load):
    """`load()` run by the first caller only (the others wait for it), its result kept. A load
    that raises is not kept: the next caller tries again."""
    lock = threading.Lock()
    loaded = []

    @functools.wraps(load)
    def get():
        if not loaded:
            with lock:
                if not loaded:
                    loaded.append(load())
        return loaded[0]

    return get
