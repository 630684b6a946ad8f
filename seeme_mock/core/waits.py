"""When a wait for callbacks is over, and, when it failed, why, in words a test prints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .records import Callback, CallbackState, Delivery, Forward

__all__ = [
    "all_delivered",
    "explain_inbound_wait",
    "explain_missing_send",
    "explain_wait",
    "settled",
]


def settled(found: Sequence[Delivery], codes: frozenset[int] | None) -> bool:
    """True once those deliveries were all delivered, or once one of them failed; with
    ``codes``, a callback of each code must be there."""
    if any(c.state is CallbackState.FAILED for c in found):
        return True
    present = {c.code for c in found if isinstance(c, Callback)}
    complete = bool(found) if codes is None else present >= codes
    return complete and all(c.state is CallbackState.DELIVERED for c in found)


def all_delivered(found: Sequence[Delivery], codes: frozenset[int] | None) -> bool:
    """The wait succeeded: every wanted callback exists and was delivered."""
    delivered = bool(found) and all(c.state is CallbackState.DELIVERED for c in found)
    return delivered and settled(found, codes)


def explain_wait(
    reference: str | None,
    wanted: frozenset[int] | None,
    found: Sequence[Callback],
    timeout: float,
    virtual: bool,
) -> str:
    """Why a wait for callbacks failed: what was expected, what came, what failed and why."""
    lines = [
        f"waited {timeout:g}{' virtual' if virtual else ''} s for callbacks"
        f" {sorted(wanted) if wanted is not None else '(all)'}"
        f" of {'reference ' + repr(reference) if reference is not None else 'every message'}",
    ]
    if not found:
        lines.append("no such callback was ever due (did the send list these codes in 'callback'?)")
    lines += [_outcome(f"reference={c.message.reference!r} code={c.code}", c) for c in found]
    return "\n".join(lines)


def _outcome(what: str, delivery: Delivery) -> str:
    """One line: what it was, where it stands, and every attempt's answer or error."""
    attempts = ", ".join(str(a.status) if a.error is None else a.error for a in delivery.attempts)
    why = f" ({delivery.failure})" if delivery.failure else ""
    return f"  {what}: {delivery.state.value}{why}; attempts: {attempts or 'none yet'}"


def explain_inbound_wait(
    number: str | None, found: Sequence[Forward], timeout: float, virtual: bool
) -> str:
    """Why a wait for inbound forwards failed."""
    lines = [
        f"waited {timeout:g}{' virtual' if virtual else ''} s for inbound SMS forwarded "
        f"from {number if number is not None else 'anyone'}"
    ]
    if not found:
        lines.append(
            "no such SMS was forwarded (did it reach an inbox number of the account, "
            "with the keyword on a shared one?)"
        )
    lines += [_outcome(f"number={f.inbound.number} text={f.inbound.text!r}", f) for f in found]
    return "\n".join(lines)


def explain_missing_send(
    number: str | None,
    text: str | None,
    count: int | None,
    found: int,
    others: Sequence[tuple[str, str]],
    refused: Sequence[tuple[int, str, Mapping[str, str]]],
) -> str:
    """Why ``assert_sent`` failed: what was expected, the sends that came instead, and the
    sends the gateway refused, with their codes."""
    wanted = ", ".join(
        f"{k}={v!r}" for k, v in (("number", number), ("text", text)) if v is not None
    )
    expected = "at least once" if count is None else f"{count} times"
    lines = [f"expected a send with {wanted or 'anything'} {expected}, found {found}"]
    if others:
        lines.append("other sends:")
        lines += [f"  number={n!r} text={t!r}" for n, t in others[:10]]
    if refused:
        lines.append("sends the gateway refused:")
        lines += [
            f"  code {code} ({said}): {dict(params)!r}" for code, said, params in refused[:10]
        ]
    return "\n".join(lines)
