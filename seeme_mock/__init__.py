"""seeme-mock: a faithful, deterministic stand-in for the SeeMe SMS Gateway."""

from .core.clock import Clock, ManualClock, RealClock
from .core.config import GatewayConfig, RetryPolicy, Step
from .core.gateway import Attempt, Callback, CallbackState, Gateway, Message
from .server.runtime import MockServer
from .testing import SeemeMock, SeemeMockError

__all__ = [
    "Attempt",
    "Callback",
    "CallbackState",
    "Clock",
    "Gateway",
    "GatewayConfig",
    "ManualClock",
    "Message",
    "MockServer",
    "RealClock",
    "RetryPolicy",
    "SeemeMock",
    "SeemeMockError",
    "Step",
]
