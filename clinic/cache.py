"""Without REDIS_URL: diskcache's SQLite files, shared by one machine's workers."""

from diskcache import DjangoCache


class LocalDiskCache(DjangoCache):
    def close(self, **kwargs):
        # Django closes caches after every request; reopening diskcache's files
        # costs more than a cached page (it reconnects by itself after a fork).
        pass
