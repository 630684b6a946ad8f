"""SeeMe's send endpoint over the runtime: what both of its HTTP paths share (aiohttp's
route, :mod:`.app`, and the plain GET's fast path, :mod:`.fast_path`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, cast

from ..core.protocol import Format, Rejection, Reply, render
from .runtime import Runtime
from .shared_future import when_done

__all__ = ["Later", "Rendered", "SendEndpoint"]

Rendered = tuple[bytes, str]
"""An answer's body and its content type."""

log = logging.getLogger("seeme_mock")


class Later:
    """An answer to give once ``ready`` is done: ``rendered`` (the send was taken; it is
    answered at the end of the loop's turn, once the journal committed it), or, when it is
    None, what ``ready`` itself gives (a task that waits first: back-pressure, a scenario's
    delay; or a future a loop timer settles at a paced send's turn)."""

    __slots__ = ("ready", "rendered")

    def __init__(self, ready: asyncio.Future[Any], rendered: Rendered | None = None) -> None:
        self.ready = ready
        self.rendered = rendered

    def result(self) -> Rendered:
        """Once ``ready`` is done."""
        given = self.ready.result()
        return given if self.rendered is None else self.rendered

    async def wait(self) -> Rendered:
        if self.rendered is None:
            return cast(Rendered, await self.ready)
        await asyncio.shield(self.ready)  # the turn's, shared: a cancelled send must not end it
        return self.rendered

    def then(self, waiter: Callable[[asyncio.Future[Any]], None]) -> None:
        """Call ``waiter(self.ready)`` once the answer may be given: as soon as a turn's end
        or a commit comes (:mod:`.shared_future`)."""
        when_done(self.ready, waiter)

    def cancel(self) -> None:
        """The client is gone: stop the task that would answer it (never the shared end of
        a turn)."""
        if self.rendered is None:
            self.ready.cancel()


class SendEndpoint:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def take(self, params: Mapping[str, str], client_ip: str) -> Later:
        """Take a send; its answer, once it may be given (at the end of this turn of the
        loop at the soonest, with the other sends taken in it)."""
        turn = self._runtime.admission(self._callback_url(params))
        if turn is None:
            return Later(asyncio.create_task(self._answer_with_room(params, client_ip)))
        if turn:
            loop = asyncio.get_running_loop()
            ready = loop.create_future()
            loop.call_later(turn, self._answer_into, ready, params, client_ip)
            return Later(ready)
        return self._answer_taken(params, client_ip)

    async def answer(self, params: Mapping[str, str], client_ip: str) -> Rendered:
        return await self.take(params, client_ip).wait()

    def _answer_taken(self, params: Mapping[str, str], client_ip: str) -> Later:
        """Once the send's turn came."""
        reply, fmt, delay = self._handle(params, client_ip)
        if delay:
            return Later(asyncio.create_task(self._finish(params, reply, fmt, delay)))
        return Later(self._runtime.when_answered(), self._answered(params, reply, fmt))

    def _answer_into(
        self, ready: asyncio.Future[Rendered], params: Mapping[str, str], client_ip: str
    ) -> None:
        """A paced send's turn came (a loop timer, no task: most sends at full load wait
        for theirs): its answer goes to ``ready``, unless the client left meanwhile."""
        if ready.done():
            return
        answer = self._answer_taken(params, client_ip)

        def settle(_: object) -> None:
            if ready.done():
                return
            try:
                ready.set_result(answer.result())
            except asyncio.CancelledError:
                ready.cancel()
            except Exception as exc:
                ready.set_exception(exc)

        answer.then(settle)

    async def _answer_with_room(self, params: Mapping[str, str], client_ip: str) -> Rendered:
        """After back-pressure: callbacks to the send's receiver pile up."""
        await self._runtime.room_for(self._callback_url(params))
        reply, fmt, delay = self._handle(params, client_ip)
        return await self._finish(params, reply, fmt, delay)

    async def _finish(
        self, params: Mapping[str, str], reply: Reply, fmt: Format, delay: float
    ) -> Rendered:
        await self._runtime.written()
        if delay:
            await asyncio.sleep(delay)  # real seconds: it is the SUT's timeout under test
        return self._answered(params, reply, fmt)

    def _handle(self, params: Mapping[str, str], client_ip: str) -> tuple[Reply, Format, float]:
        """The gateway's answer: a bug of ours answers code 8, never a 500 for the SUT."""
        runtime = self._runtime
        try:
            return runtime.gateway.handle(params, client_ip, overloaded=runtime.overloaded)
        except Exception as exc:
            self._log_failure(params, exc)
            return Reply.error(Rejection(8)), self._format(params), 0.0

    def _log_failure(self, params: Mapping[str, str], exc: Exception) -> None:
        log.error("seeme-mock failed on a send: %s", _summary(params), exc_info=exc)
        self._runtime.errors.append(exc)

    def _answered(self, params: Mapping[str, str], reply: Reply, fmt: Format) -> Rendered:
        if log.isEnabledFor(logging.INFO):
            _log_send(params, reply)
        self._runtime.sends_answered += 1
        return render(reply, fmt)

    def _format(self, params: Mapping[str, str]) -> Format:
        return Format.from_param(params.get("format"), self._runtime.gateway.config.default_format)

    def _callback_url(self, params: Mapping[str, str]) -> str | None:
        return params.get("callbackurl") or self._runtime.gateway.config.callback_url


def _summary(params: Mapping[str, str]) -> str:
    return f"method={params.get('method') or 'sms'} number={params.get('number')}"


def _log_send(params: Mapping[str, str], reply: Reply) -> None:
    fields = reply.fields
    if reply.ok and "split" in fields:
        log.info(
            "send number=%s reference=%s -> OK %s parts, %s",
            params.get("number"),
            params.get("reference", ""),
            fields["split"],
            fields["charset"],
        )
    else:
        log.info(
            "%s -> %s %s %s",
            params.get("method") or "send",
            fields["result"],
            fields["code"],
            fields["message"],
        )
