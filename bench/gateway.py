"""Gateway load: the text command endpoint under concurrent clients, from a second process, on loopback.

    .venv/bin/python bench/gateway.py              # 50 concurrent clients for 30 s
    .venv/bin/python bench/gateway.py --quick      # 10 s
    .venv/bin/python bench/gateway.py --clients 20 --seconds 15

The server is `hero365 serve` (uvicorn, one process) on a fresh SQLite file with the demo business; this
process is the load: each client holds one agent session and sends spoken-style commands in a closed loop
(the next as soon as the last is answered), authenticated as a member of the demo business (owner, office
or a technician, round robin), so every request pays for JWT checks, membership, rate limits (raised for the
run), the audit record's commit and a real turn of the local brain with its database reads. Reads only, so
the business doesn't drift over the run.

Prints a table (requests/s, p50/p90/p99/max, errors by kind) and one JSON line:
{"bench": "gateway", "rps": ..., "p50_ms": ..., "p99_ms": ..., "errors": ..., "clients": ..., "seconds": ...}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

COMMANDS = ["what's on my schedule today", "which invoices are overdue", "check stock on water heaters",
            "what do I have tomorrow", "tell me about job 3", "find the garcia contact", "what's next today",
            "how much does the johnson family owe"]
SEND = "/api/v1/voice-agents/personal/send-command"


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hero365(*args: str, env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    exe = str(Path(sys.executable).parent / "hero365")
    return subprocess.run([exe, *args], env=env, text=True, capture_output=True, check=True, **kw)


def demo_members(env: dict[str, str]) -> list[tuple[int, int]]:
    """(user_id, business_id) of the demo business's owner, office and technicians."""
    code = ("import asyncio, json\nfrom hero365.erp.store.db import Store\nfrom hero365.erp.demo import find_demo\n"
            "async def main():\n    s = Store()\n    i = await find_demo(s)\n    await s.close()\n"
            "    print(json.dumps([i.business_id, [i.owner_user_id, *i.office_user_ids, *i.technician_user_ids]]))\n"
            "asyncio.run(main())\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, text=True, capture_output=True, check=True)
    business, users = json.loads(out.stdout.strip().splitlines()[-1])
    return [(u, business) for u in users]


async def client(session: Any, base: str, token: str, stop_at: float, offset: int, lat: list[float],
                 errors: Counter[str]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    session_id = None
    i = offset
    while time.perf_counter() < stop_at:
        body: dict[str, Any] = {"text": COMMANDS[i % len(COMMANDS)]}
        if session_id:
            body["session_id"] = session_id
        i += 1
        t0 = time.perf_counter()
        try:
            async with session.post(base + SEND, json=body, headers=headers) as r:
                data = await r.json()
                if r.status != 200:
                    errors[f"http_{r.status}:{data.get('error')}"] += 1
                    continue
                session_id = data["session_id"]
        except Exception as exc:
            errors[type(exc).__name__] += 1
            continue
        lat.append((time.perf_counter() - t0) * 1000)


async def load(base: str, tokens: list[str], clients: int, seconds: float) -> dict[str, Any]:
    import aiohttp

    lat: list[float] = []
    errors: Counter[str] = Counter()
    conn = aiohttp.TCPConnector(limit=clients * 2)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=30)) as session:
        # warm-up: one turn per client opens its session (and loads the brain's indexes) before timing
        await asyncio.gather(*[client(session, base, tokens[i % len(tokens)], time.perf_counter() + 0.5, i, [],
                                      Counter()) for i in range(clients)])
        started = time.perf_counter()
        stop_at = started + seconds
        await asyncio.gather(*[client(session, base, tokens[i % len(tokens)], stop_at, i, lat, errors)
                               for i in range(clients)])
        elapsed = time.perf_counter() - started
    n = len(lat) + sum(errors.values())
    return {"bench": "gateway", "rps": round(n / elapsed, 1), "p50_ms": round(pct(lat, 50), 1),
            "p90_ms": round(pct(lat, 90), 1), "p99_ms": round(pct(lat, 99), 1),
            "max_ms": round(max(lat, default=0), 1), "errors": sum(errors.values()), "error_kinds": dict(errors),
            "requests": n, "clients": clients, "seconds": round(elapsed, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--quick", action="store_true", help="10 seconds")
    args = ap.parse_args()
    seconds = 10.0 if args.quick else args.seconds
    work = Path(tempfile.mkdtemp(prefix="h365-bench-gw-"))
    port = free_port()
    log = work / "server.log"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{work / 'bench.db'}", "REDIS_URL": "",
           "JWT_SECRET": "bench-" + "s" * 40, "JWT_SECRET_FILE": str(work / "jwt_secret"),
           "RATE_LIMIT_USER_PER_MINUTE": "10000000", "RATE_LIMIT_BUSINESS_PER_MINUTE": "10000000",
           "GATEWAY_MAX_SESSIONS": str(max(200, args.clients * 2))}
    env.pop("REDIS_URL")
    print("preparing: database, demo business ...", flush=True)
    hero365("db", "upgrade", env=env)
    hero365("demo-data", env=env)
    members = demo_members(env)
    tokens = [hero365("token", "--user", str(u), "--business", str(b), env=env).stdout.strip() for u, b in members]
    server = subprocess.Popen([str(Path(sys.executable).parent / "hero365"), "serve", "--port", str(port),
                               "--no-demo"], env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the gateway did not start") from None
                time.sleep(0.2)
        print(f"load: {args.clients} clients for {seconds:.0f} s against {base} ({len(tokens)} members)", flush=True)
        result = asyncio.run(load(base, tokens, args.clients, seconds))
    finally:
        server.terminate()
        server.wait(10)
    print(f"\n{'clients':>8} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'errors':>7}")
    r = result
    print(f"{r['clients']:>8} {r['requests']:>9} {r['rps']:>8} {r['p50_ms']:>8} {r['p90_ms']:>8} {r['p99_ms']:>8} "
          f"{r['max_ms']:>8} {r['errors']:>7}")
    if r["error_kinds"]:
        print("errors:", r["error_kinds"], f"(the server's log: {log})")
    print(json.dumps({k: v for k, v in r.items() if k != "error_kinds"}))


if __name__ == "__main__":
    main()
