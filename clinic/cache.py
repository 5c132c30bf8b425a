"""The cache for a site on one machine (no REDIS_URL): diskcache's SQLite files,
shared by every gunicorn worker."""

from diskcache import DjangoCache


class LocalDiskCache(DjangoCache):
    def close(self, **kwargs):
        # Django closes every cache when a request ends. Reopening diskcache's
        # SQLite files costs more than answering a cached page, so each worker
        # keeps them open; diskcache itself reconnects in a forked process.
        pass
