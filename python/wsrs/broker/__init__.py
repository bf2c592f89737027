"""Brokers: what carries a hub's topics between processes and machines (`base`: the `Broker`
interface and its events; `memory`: the one-process default; `redis`: Redis pub/sub through
coredis), and the `Hub` that joins a process's topics to its broker (`hub`)."""

from wsrs.broker.base import Broker, BrokerEvent
from wsrs.broker.hub import Hub
from wsrs.broker.memory import MemoryBroker
from wsrs.broker.redis import RedisBroker

__all__ = ["Broker", "BrokerEvent", "Hub", "MemoryBroker", "RedisBroker"]
