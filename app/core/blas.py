"""How many threads the BLAS libraries under numpy (and scipy, once loaded) may start.

OpenBLAS runs its larger products on one thread per core. In a web or job process on a small
machine those threads only contend with the request threads and the e5 helper thread, so Tandem
sets them from `BLAS_THREADS` (1 by default; 0 leaves each library its own default). The limit
holds for the whole process, but only for the libraries loaded when it is set: scipy brings its own
OpenBLAS, so code that imports it calls `apply()` again after the import.
"""

_threads = 0


def limit(threads):
    """Limit every BLAS loaded now, and (through `apply`) those loaded later, to `threads`."""
    global _threads
    _threads = threads
    apply()


def apply():
    if _threads:
        import numpy  # noqa: F401  a BLAS must be loaded for its threads to be set
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=_threads, user_api="blas")
