"""Long walks over the messages without stalling the send endpoint: the admin side hands
the loop back every few items, so a page or a list over 100k messages costs sends a few
milliseconds at a time, never a whole render."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import TypeVar

__all__ = ["pausing"]

T = TypeVar("T")


async def pausing(items: Iterable[T], every: int) -> AsyncIterator[T]:
    """``items``, letting other tasks run after each ``every`` of them."""
    for count, item in enumerate(items, 1):
        yield item
        if count % every == 0:
            await asyncio.sleep(0)
