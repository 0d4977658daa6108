"""Leases in Redis: a key held by one owner until it expires, renewed by that owner only. They
spread work (which worker watches which cluster); they never guard a decision, which the
database's compare-and-sets do, so two holders for a moment cost only duplicate reads."""

from __future__ import annotations

from redis.asyncio import Redis

PREFIX = "patrol:lease:"
# Renew or take: extend the key if we hold it, else take it if nobody does.
_ACQUIRE = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
_MEMBERS = "patrol:lease-holders:"


class Leases:
    """The leases of one owner (a worker process), over names such as `cluster:<id>`."""

    def __init__(self, redis: Redis, owner: str, *, seconds: float) -> None:
        self._redis = redis
        self.owner = owner
        self._milliseconds = max(1, int(seconds * 1000))
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)

    async def hold(self, name: str) -> bool:
        """Take the lease, or renew it if ours; False when another owner holds it."""
        return bool(
            await self._acquire(keys=[PREFIX + name], args=[self.owner, self._milliseconds])
        )

    async def release(self, name: str) -> None:
        await self._release(keys=[PREFIX + name], args=[self.owner])

    async def holder(self, name: str) -> str | None:
        value = await self._redis.get(PREFIX + name)
        return None if value is None else value.decode() if isinstance(value, bytes) else str(value)

    async def announce(self, group: str) -> int:
        """Say this owner is alive in `group`; returns how many owners are (expired ones drop)."""
        key = _MEMBERS + group
        now_ms = int(await self._now_ms())
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {self.owner: now_ms + self._milliseconds})
            pipe.zremrangebyscore(key, "-inf", now_ms)
            pipe.zcard(key)
            pipe.pexpire(key, self._milliseconds * 4)
            results = await pipe.execute()
        return int(results[2])

    async def withdraw(self, group: str) -> None:
        await self._redis.zrem(_MEMBERS + group, self.owner)

    async def _now_ms(self) -> float:
        # Redis's clock, so that owners on hosts whose clocks differ agree on expiry.
        seconds, microseconds = await self._redis.time()
        return float(seconds) * 1000 + float(microseconds) / 1000
