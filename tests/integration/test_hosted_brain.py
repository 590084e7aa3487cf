"""The hosted brain (BRAIN=openai) wired end to end against a local OpenAI-compatible endpoint.

A small aiohttp server on 127.0.0.1 implements `POST /v1/chat/completions` with `stream: true`, streaming
OpenAI's SSE chunks. It answers from a script (tool calls, then text built from the tool output it was sent),
and records every request, so the tests see both sides: what the session sent the model (instructions, tool
schemas, tool outputs) and what the real tools did with the model's calls on the real database.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from livekit.agents import AgentSession

from hero365.config import Settings
from hero365.erp.services import jobs
from hero365.voice.agents import PersonalAgent
from hero365.voice.session import text_session
from hero365.voice.state import SessionState

Step = Callable[[dict[str, Any]], dict[str, Any]]


def call(name: str, **arguments: Any) -> Step:
    """The model calls one tool."""
    return lambda _request: {"tool_call": (name, json.dumps(arguments))}


def say_tool_output(_request: dict[str, Any]) -> dict[str, Any]:
    """The model reads back the `say` of the last tool output it was sent (as a well-behaved model would)."""
    tool_messages = [m for m in _request["messages"] if m["role"] == "tool"]
    return {"text": json.loads(tool_messages[-1]["content"])["say"]}


@dataclass
class ScriptedModel:
    """An OpenAI-compatible chat endpoint: each request takes the next step of the script."""

    script: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    base_url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.auth.append(request.headers.get("Authorization", ""))
        if not body.get("stream"):
            return web.json_response({"error": {"message": "this endpoint only streams"}}, status=400)
        if not self.script:
            return web.json_response({"error": {"message": "the script has no more turns"}}, status=500)
        step = self.script.pop(0)(body)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        for chunk in _chunks(body["model"], step):
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def _chunks(model: str, step: dict[str, Any]) -> list[dict[str, Any]]:
    """One reply as OpenAI streams it: role, pieces of content or of a tool call's arguments, finish, usage."""
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:12]}", 1790000000

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    out = [chunk({"role": "assistant", "content": None if "tool_call" in step else ""})]
    if "tool_call" in step:
        name, arguments = step["tool_call"]
        half = len(arguments) // 2  # arguments arrive in pieces, as they do from a real model
        out.append(chunk({"tool_calls": [{"index": 0, "id": f"call_{uuid.uuid4().hex[:10]}", "type": "function",
                                          "function": {"name": name, "arguments": arguments[:half]}}]}))
        out.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]}))
        out.append(chunk({}, "tool_calls"))
    else:
        words = step["text"].split(" ")
        out += [chunk({"content": w if i == 0 else " " + w}) for i, w in enumerate(words)]
        out.append(chunk({}, "stop"))
    out.append({"id": cid, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [],
                "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}})
    return out


@pytest.fixture
async def model() -> AsyncIterator[ScriptedModel]:
    server = ScriptedModel()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def johnson_job(world, people) -> int:  # type: ignore[no-untyped-def]
    """Bob Johnson's water heater check, tomorrow (Tuesday 24 November) at 10:00 Chicago, with Tina."""
    async with world.store.uow(world.business_id) as uow:
        job = await jobs.create_job(uow, world.owner, people.johnson.id, "Water heater check",
                                    datetime(2026, 11, 24, 16, 0, tzinfo=UTC), 60, world.tech.user_id)
    assert job.number is not None
    return job.number


@pytest.fixture
def hosted(world, model):  # type: ignore[no-untyped-def]
    """`async with hosted() as session:` a started text session: the PersonalAgent on the hosted brain."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def _open(actor=None) -> AsyncIterator[AgentSession]:  # type: ignore[no-untyped-def]
        settings = Settings(brain="openai", llm_base_url=model.base_url, llm_api_key="test",
                            database_url=world.store.settings.database_url, redis_url=None)
        state = SessionState(store=world.store, actor=actor or world.owner)
        session = text_session(state, settings)
        async with session:
            agent = PersonalAgent(state)
            await session.start(agent)
            await asyncio.wait_for(agent.ready.wait(), 5)
            yield session

    return _open


def tool_names(request: dict[str, Any]) -> set[str]:
    return {t["function"]["name"] for t in request.get("tools", [])}


async def test_hosted_model_reads_the_schedule_through_the_real_tool(world, people, johnson_job,  # type: ignore[no-untyped-def]
                                                                     model, hosted) -> None:
    model.script = [call("get_schedule", date="2026-11-24"), say_tool_output]
    async with hosted() as session:
        result = await session.run(user_input="what do I have tomorrow")
        result.expect.next_event().is_function_call(name="get_schedule", arguments={"date": "2026-11-24"})
        output = json.loads(result.expect.next_event().is_function_call_output().event().item.output)
        message = result.expect.next_event().is_message(role="assistant")
        result.expect.no_more_events()

    [job] = output["jobs"]
    assert (job["number"], job["customer"], job["title"]) == (johnson_job, "Bob Johnson", "Water heater check")
    assert output["say"] == (f"You have 1 job tomorrow. 10 AM, job {johnson_job}, Water heater check for Bob Johnson "
                             "on 100 Main St.")
    assert message.event().item.text_content == output["say"]

    first, second = model.requests
    assert model.auth == ["Bearer test", "Bearer test"]
    assert first["model"] == "gpt-4o-mini" and first["stream"] is True and first["temperature"] == 0.0
    assert {"get_schedule", "create_job", "confirm_action", "cancel_action"} <= tool_names(first)
    schedule = next(t["function"] for t in first["tools"] if t["function"]["name"] == "get_schedule")
    assert "date" in schedule["parameters"]["properties"]
    assert "Olivia Owner" in first["messages"][0]["content"] and first["messages"][0]["role"] in ("system",
                                                                                                     "developer")
    assert first["messages"][-1] == {"role": "user", "content": "what do I have tomorrow"}
    # the second request carries the model's call and the real tool output, tied by the call id
    assistant_call, tool_reply = second["messages"][-2:]
    assert assistant_call["tool_calls"][0]["function"] == {"name": "get_schedule",
                                                           "arguments": '{"date": "2026-11-24"}'}
    assert tool_reply["role"] == "tool" and tool_reply["tool_call_id"] == assistant_call["tool_calls"][0]["id"]
    assert json.loads(tool_reply["content"])["jobs"][0]["customer"] == "Bob Johnson"


async def test_hosted_create_job_only_proposes_until_the_user_confirms(world, people, johnson_job, model,  # type: ignore[no-untyped-def]
                                                                      hosted, rows) -> None:
    book = call("create_job", customer="Carlos Garcia", title="Replace the water heater", date="2026-11-27",
                time="10:00", duration_minutes=120)
    # an over-eager model proposes and then tries to confirm in the same turn, before the user said yes
    model.script = [book, call("confirm_action"), say_tool_output,
                    call("confirm_action"), say_tool_output]
    async with hosted() as session:
        r1 = await session.run(user_input="book carlos garcia friday at ten to replace the water heater")
        r1.expect.next_event().is_function_call(name="create_job")
        proposal = json.loads(r1.expect.next_event().is_function_call_output().event().item.output)
        r1.expect.next_event().is_function_call(name="confirm_action")
        self_confirm = json.loads(r1.expect.next_event().is_function_call_output().event().item.output)
        r1.expect.next_event().is_message(role="assistant")
        assert proposal["pending"]["action"] == "create_job" and "Shall I go ahead" in proposal["say"]
        assert "Carlos Garcia" in proposal["pending"]["summary"]
        assert self_confirm["error"] == "not_confirmed"  # the tool refuses: no yes has been heard yet
        assert await rows("jobs", business_id=world.business_id) == 1  # only Johnson's: nothing written
        assert await rows("jobs", contact_id=people.garcia.id) == 0
        assert session.userdata.pending is not None

        r2 = await session.run(user_input="yes")
        r2.expect.next_event().is_function_call(name="confirm_action")
        done = json.loads(r2.expect.next_event().is_function_call_output().event().item.output)
        reply = r2.expect.next_event().is_message(role="assistant").event().item.text_content
        assert done["done"] == {"action": "create_job"} and reply == done["say"]
        assert session.userdata.pending is None

    assert await rows("jobs", contact_id=people.garcia.id) == 1
    async with world.store.uow(world.business_id) as uow:
        job = await uow.jobs.by_number(done["data"]["job"])
    assert job is not None and job.contact_id == people.garcia.id and job.title == "Replace the water heater"
    assert job.scheduled_start.isoformat() == "2026-11-27T16:00:00+00:00"  # Friday 10:00 in Chicago
    # the model saw the refusal: the tool output of its premature confirm was sent back to it
    refused = [m for m in model.requests[2]["messages"] if m["role"] == "tool"]
    assert json.loads(refused[-1]["content"])["error"] == "not_confirmed"


async def test_hosted_brain_needs_an_endpoint_or_a_key(world) -> None:  # type: ignore[no-untyped-def]
    state = SessionState(store=world.store, actor=world.owner)
    with pytest.raises(RuntimeError, match="LLM_BASE_URL"):
        text_session(state, Settings(brain="openai", llm_base_url=None, llm_api_key=None))
