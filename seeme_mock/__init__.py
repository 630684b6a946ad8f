"""seeme-mock: a faithful, deterministic stand-in for the SeeMe SMS Gateway."""

from .core.clock import Clock, ManualClock, RealClock
from .core.config import GatewayConfig, RetryPolicy
from .core.gateway import Attempt, Callback, CallbackState, Gateway, Message
from .core.scenario import Scenario, Step
from .core.scenario_toml import ScenarioError, load_scenario_files, parse_scenarios
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
    "Scenario",
    "ScenarioError",
    "SeemeMock",
    "SeemeMockError",
    "Step",
    "load_scenario_files",
    "parse_scenarios",
]
