"""Directions and weather at a job. Both need an outside provider; without one we say so, never guess."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from ..domain.errors import InvalidInput, NotConfigured
from ..domain.tenancy import Actor
from ..store.uow import UnitOfWork
from .common import resolve_job


@dataclass(frozen=True)
class Route:
    summary: str
    minutes: int
    miles: float


@dataclass(frozen=True)
class Forecast:
    summary: str
    high_f: int
    low_f: int
    rain_chance: int


class DirectionsProvider(Protocol):
    async def route(self, origin: str | None, destination: str) -> Route: ...


class WeatherProvider(Protocol):
    async def forecast(self, address: str, day: date) -> Forecast: ...


async def job_address(uow: UnitOfWork, actor: Actor, number: int | None, customer: str | None) -> tuple[int, str]:
    job = await resolve_job(uow, actor, number, customer)
    if not job.address_line:
        raise InvalidInput(f"Job {job.number} has no address on file.")
    return job.number, job.address_line


async def get_directions(uow: UnitOfWork, actor: Actor, provider: DirectionsProvider | None,
                         number: int | None = None, customer: str | None = None,
                         origin: str | None = None) -> tuple[int, str, Route]:
    job_number, address = await job_address(uow, actor, number, customer)
    if provider is None:
        raise NotConfigured(f"Directions aren't set up yet. Job {job_number} is at {address}.",
                            address=address, job=job_number)
    return job_number, address, await provider.route(origin, address)


async def get_weather(uow: UnitOfWork, actor: Actor, provider: WeatherProvider | None, day: date,
                      number: int | None = None, customer: str | None = None) -> tuple[int, str, Forecast]:
    job_number, address = await job_address(uow, actor, number, customer)
    if provider is None:
        raise NotConfigured(f"Weather forecasts aren't set up yet, so I can't tell you the weather at job "
                            f"{job_number}, {address}.", address=address, job=job_number)
    return job_number, address, await provider.forecast(address, day)
