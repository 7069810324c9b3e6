"""What replicas share about subscriptions, built once per app: with a Redis URL, one pub/sub
connection (``channels.py``) carrying the upstream subscriptions' events (``fanout.py``) and
the callers whose credentials ended (``endings.py``); without, each replica on its own."""

from __future__ import annotations

from dataclasses import dataclass

from .channels import Channels
from .endings import Endings
from .fanout import Fanout

__all__ = ["SubscriptionCluster"]


@dataclass(frozen=True)
class SubscriptionCluster:
    channels: Channels | None
    fanout: Fanout | None
    endings: Endings

    @classmethod
    def of(
        cls, redis_url: str | None, *, prefix: str = "tandem:subscriptions:", lease: float = 10.0
    ) -> SubscriptionCluster:
        """Through Redis at ``redis_url`` (keys and channels under ``prefix``, upstream
        leases of ``lease`` seconds), or this replica alone (None)."""
        if not redis_url:
            return cls(None, None, Endings())
        channels = Channels(redis_url)
        return cls(
            channels,
            Fanout(channels, prefix=prefix, lease=lease),
            Endings(channels, channel=f"{prefix}ended"),
        )

    async def aclose(self) -> None:
        if self.fanout is not None:
            await self.fanout.aclose()
        await self.endings.aclose()
        if self.channels is not None:
            await self.channels.aclose()
