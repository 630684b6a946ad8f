"""seeme-mock: a faithful, deterministic stand-in for the SeeMe SMS Gateway."""

from .core.clock import Clock, ManualClock, RealClock
from .core.config import GatewayConfig, RetryPolicy
from .core.errors import (
    ClockError,
    ConfigError,
    ExpectationError,
    InternalError,
    ScenarioError,
    SeemeMockError,
    UsageError,
)
from .core.gateway import Gateway
from .core.records import Attempt, Callback, CallbackState, Message, Rejected
from .core.scenario import Scenario, Step
from .core.scenario_files import load_scenario_files, parse_scenarios
from .server.mock_server import MockServer
from .testing import SeemeMock

__all__ = [
    "Attempt",
    "Callback",
    "CallbackState",
    "Clock",
    "ClockError",
    "ConfigError",
    "ExpectationError",
    "Gateway",
    "GatewayConfig",
    "InternalError",
    "ManualClock",
    "Message",
    "MockServer",
    "RealClock",
    "Rejected",
    "RetryPolicy",
    "Scenario",
    "ScenarioError",
    "SeemeMock",
    "SeemeMockError",
    "Step",
    "UsageError",
    "load_scenario_files",
    "parse_scenarios",
]
