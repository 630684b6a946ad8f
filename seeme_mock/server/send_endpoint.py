"""SeeMe's send endpoint over the runtime: what both of its HTTP paths share (aiohttp's
route, :mod:`.app`, and the plain GET's fast path, :mod:`.fast_path`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from typing import Any

from ..core.protocol import Format, Rejection, Reply, render
from .runtime import Runtime

__all__ = ["Rendered", "SendEndpoint"]

Rendered = tuple[bytes, str]
"""An answer's body and its content type."""

log = logging.getLogger("seeme_mock")


class SendEndpoint:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def answer_at_once(
        self, params: Mapping[str, str], client_ip: str
    ) -> Rendered | Coroutine[Any, Any, Rendered]:
        """The answer, when nothing is to be waited for (the usual case without a journal);
        else a coroutine that gives it once it may be given."""
        runtime = self._runtime
        if not runtime.has_room(self._callback_url(params)):
            return self._answer_with_room(params, client_ip)
        reply, fmt, delay = self._take(params, client_ip)
        if delay or runtime.journal is not None:
            return self._finish(params, reply, fmt, delay)
        return self._answered(params, reply, fmt)

    async def answer(self, params: Mapping[str, str], client_ip: str) -> Rendered:
        answer = self.answer_at_once(params, client_ip)
        return answer if isinstance(answer, tuple) else await answer

    async def _answer_with_room(self, params: Mapping[str, str], client_ip: str) -> Rendered:
        """After back-pressure: callbacks to the send's receiver pile up."""
        await self._runtime.room_for(self._callback_url(params))
        reply, fmt, delay = self._take(params, client_ip)
        return await self._finish(params, reply, fmt, delay)

    async def _finish(
        self, params: Mapping[str, str], reply: Reply, fmt: Format, delay: float
    ) -> Rendered:
        try:
            await self._runtime.written()  # an accepted send survives a kill -9 once answered
        except Exception as exc:  # the journal failed: the send is not safe, say so
            self._log_failure(params, exc)
            reply = Reply.error(Rejection(8))
        if delay:
            await asyncio.sleep(delay)  # real seconds: it is the SUT's timeout under test
        return self._answered(params, reply, fmt)

    def _take(self, params: Mapping[str, str], client_ip: str) -> tuple[Reply, Format, float]:
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
