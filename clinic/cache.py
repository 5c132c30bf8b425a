"""The cache backends: diskcache's SQLite files for a site on one machine
(no REDIS_URL), shared by every gunicorn worker; Redis for several machines."""

import logging
import time

import redis
from diskcache import DjangoCache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)


class LocalDiskCache(DjangoCache):
    def close(self, **kwargs):
        # Django closes every cache when a request ends. Reopening diskcache's
        # SQLite files costs more than answering a cached page, so each worker
        # keeps them open, as Django's Redis backend keeps its connection
        # pool. diskcache itself reconnects in a forked process.
        pass


class ReusingRedisCacheClient(RedisCacheClient):
    """Django builds a new redis.Redis object for every cache call, which
    costs more than the call itself on a cached page. One per connection pool
    is enough: they are thread-safe, and the pool reconnects after a fork."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class ForgivingRedisCache(RedisCache):
    """Django's Redis cache, except that Redis being unreachable turns a read
    into a miss and a write into nothing (logged) instead of an error page.
    The cache only makes the site faster: pages are made from the database,
    a booking is saved, and the rate limit lets requests through until Redis
    is back."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._paused_until = 0.0

    # After Redis fails to answer, this worker leaves it alone for a while:
    # a Redis that does not answer at all would otherwise cost every cache
    # call its full timeout.
    PAUSE_AFTER_OUTAGE = 10

    def _forgive(self, operation, fallback, *args, **kwargs):
        if time.monotonic() < self._paused_until:
            return fallback
        try:
            return getattr(super(), operation)(*args, **kwargs)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            self._paused_until = time.monotonic() + self.PAUSE_AFTER_OUTAGE
            logger.warning("Cache unavailable (%s): %s skipped", type(exc).__name__, operation)
            return fallback
        except redis.exceptions.ResponseError as exc:
            # Out of memory, a read-only replica: Redis answers, but no.
            logger.warning("Cache refused %s: %s", operation, exc)
            return fallback

    def get(self, key, default=None, version=None):
        return self._forgive("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._forgive("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._forgive("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._forgive("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._forgive("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._forgive("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._forgive("touch", False, key, timeout, version)

    def incr(self, key, delta=1, version=None):
        # As if the counter had just started: a rate limit lets the request by.
        return self._forgive("incr", delta, key, delta, version)

    def delete(self, key, version=None):
        return self._forgive("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._forgive("delete_many", None, keys, version)

    def clear(self):
        return self._forgive("clear", False)
