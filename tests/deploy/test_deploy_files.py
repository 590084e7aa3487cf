"""The deployment files in deploy/ against the code they deploy: every file parses; every variable they pass is
a setting the app reads (or a documented variable of another image) and its value validates; every command is
a real `hero365` command with options it accepts; every metric in the alert rules and the dashboard is one the
app exposes, with labels it has; probes and scrape targets point at real routes and ports; the Prometheus
thresholds are the application's own alert settings."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from hero365.cli import app as cli_app
from hero365.config import Settings
from hero365.insights import metrics

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
FIELDS = {name.upper() for name in Settings.model_fields}
#: Variables read by something other than the app: which image reads them (a prefix of its name), and why.
NON_APP: dict[str, tuple[str, str]] = {
    "POSTGRES_USER": ("postgres", "the postgres image: the role it creates"),
    "POSTGRES_DB": ("postgres", "the postgres image: the database it creates"),
    "POSTGRES_PASSWORD": ("postgres", "the postgres image: the role's password"),
    "LIVEKIT_KEYS": ("livekit/livekit-server", "the LiveKit server's API key pairs ('key: secret')"),
    "GF_SECURITY_ADMIN_PASSWORD": ("grafana/grafana", "Grafana's admin password"),
    "GF_USERS_ALLOW_SIGN_UP": ("grafana/grafana", "Grafana: no self sign-up"),
    "PYTHONDONTWRITEBYTECODE": ("python:", "the Python runtime (Dockerfile)"),
    "PYTHONUNBUFFERED": ("python:", "the Python runtime: logs unbuffered (Dockerfile)"),
    "PIP_NO_CACHE_DIR": ("python:", "pip at build time (Dockerfile)"),
    "PIP_DISABLE_PIP_VERSION_CHECK": ("python:", "pip at build time (Dockerfile)"),
}
APP_IMAGE = "hero365"


def _yaml_docs(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
K8S = [doc for path in sorted((DEPLOY / "k8s").glob("*.yaml")) for doc in _yaml_docs(path)]
RULES = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text())
PROMETHEUS = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
DASHBOARD = json.loads((DEPLOY / "grafana" / "dashboards" / "hero365.json").read_text())
ENV_EXAMPLE = dict(line.split("=", 1) for line in (DEPLOY / ".env.example").read_text().splitlines()
                   if line.strip() and not line.startswith("#"))


def test_every_file_parses() -> None:
    files = [p for p in DEPLOY.rglob("*") if p.is_file()]
    parsed = 0
    for path in files:
        if path.suffix in (".yml", ".yaml"):
            assert _yaml_docs(path), f"{path} is empty"
            parsed += 1
        elif path.suffix == ".json":
            json.loads(path.read_text())
            parsed += 1
    assert parsed >= 12
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap", "Secret", "Namespace", "Job"} <= {
        d["kind"] for d in K8S}


# ------------------------------------------------------------------------------------------------ settings

def _interpolate(value: str) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error} with the values of .env.example."""
    def sub(m: re.Match[str]) -> str:
        name, _, default = m.group(1).partition(":")
        return ENV_EXAMPLE.get(name, default[1:] if default.startswith("-") else "")

    return re.sub(r"\$\{([^}]+)\}", sub, value)


def _compose_env() -> list[tuple[str, str, dict[str, str]]]:
    """(service, image, environment) for every compose service."""
    out = []
    for name, svc in COMPOSE["services"].items():
        env = svc.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        out.append((name, svc.get("image", ""), {k: _interpolate(str(v)) for k, v in env.items()}))
    return out


def _k8s_containers() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for doc in K8S:
        spec = doc.get("spec", {})
        pod = spec.get("template", {}).get("spec", {})
        for c in pod.get("containers", []):
            out.append((doc["metadata"]["name"], c))
    return out


def _dockerfile() -> tuple[dict[str, str], str, list[str]]:
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(dict(pair.split("=", 1) for pair in line[4:].split()))
    base = re.search(r"^FROM (\S+)", text, re.M).group(1)  # type: ignore[union-attr]
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))  # type: ignore[union-attr]
    return env, base, cmd


def test_every_variable_is_a_setting_or_a_documented_one_of_another_image() -> None:
    seen: set[str] = set()
    places: list[tuple[str, str, set[str]]] = [(n, img, set(env)) for n, img, env in _compose_env()]
    env, base, _ = _dockerfile()
    places.append(("Dockerfile", base, set(env)))
    for doc in K8S:
        if doc["kind"] in ("ConfigMap", "Secret"):
            places.append((doc["metadata"]["name"], APP_IMAGE, set(doc.get("data", {}) | doc.get("stringData", {}))))
    for name, c in _k8s_containers():
        places.append((name, c["image"], {e["name"] for e in c.get("env", [])}))
    for where, image, names in places:
        for var in names:
            seen.add(var)
            if image.split(":")[0] == APP_IMAGE:
                assert var in FIELDS, f"{where} passes {var}, which hero365.config.Settings does not read"
            else:
                assert var in NON_APP and image.startswith(NON_APP[var][0]), \
                    f"{where} ({image}) passes {var}: not documented for that image in NON_APP"
    assert {"DATABASE_URL", "REDIS_URL", "LIVEKIT_URL", "JWT_SECRET", "CONVERSATION_KEYS"} <= seen


def test_the_values_validate_as_settings() -> None:
    """What the app would read from them: pydantic checks the types and bounds (a typo'd number fails)."""
    app_env = [env for _, image, env in _compose_env() if image.split(":")[0] == APP_IMAGE]
    assert app_env
    for env in app_env:
        s = Settings(_env_file=None, **{k.lower(): v for k, v in env.items()})  # type: ignore[call-arg]
        assert s.database_url.startswith("postgresql+asyncpg://hero365:")
    k8s = {}
    for doc in K8S:
        if doc["kind"] in ("ConfigMap", "Secret"):
            k8s.update(doc.get("data", {}) | doc.get("stringData", {}))
    s = Settings(_env_file=None, **{k.lower(): v for k, v in k8s.items()})  # type: ignore[call-arg]
    assert s.telephony == "livekit" and s.alert_error_rate == 0.05


def test_compose_secrets_come_from_the_env_file_and_nothing_else() -> None:
    text = (DEPLOY / "docker-compose.yml").read_text()
    required = {m.group(1) for m in re.finditer(r"\$\{([A-Z_]+)(?::\?[^}]*)?\}", text)}
    assert required <= set(ENV_EXAMPLE), f"not in .env.example: {required - set(ENV_EXAMPLE)}"
    assert set(ENV_EXAMPLE) <= required | {m.group(1) for m in re.finditer(r"\$\{([A-Z_]+)", text)}


# ------------------------------------------------------------------------------------------------ commands

def _commands() -> list[tuple[str, list[str]]]:
    out = [(f"compose {n}", list(s["command"])) for n, s in COMPOSE["services"].items()
           if s.get("image", "").split(":")[0] == APP_IMAGE]
    out.append(("Dockerfile CMD", _dockerfile()[2]))
    out += [(f"k8s {n}", list(c.get("command", [])) + list(c.get("args", []))) for n, c in _k8s_containers()]
    return out


@pytest.mark.parametrize(("where", "argv"), _commands(), ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_every_command_is_a_real_hero365_command(where: str, argv: list[str]) -> None:
    assert argv[0] == "hero365", f"{where} runs {argv[0]}"
    helped = CliRunner().invoke(cli_app, [*argv[1:], "--help"])
    assert helped.exit_code == 0, f"{where}: {' '.join(argv)} --help -> {helped.output}"
    # the options and their values parse as the command would parse them (nothing is run)
    command: Any = typer.main.get_command(cli_app)
    args = list(argv[1:])
    while hasattr(command, "commands") and args and args[0] in command.commands:
        command = command.commands[args.pop(0)]
    assert not hasattr(command, "commands"), f"{where}: {' '.join(argv)} names a group, not a command"
    command.make_context(argv[1], args)  # raises on an unknown option or a value of the wrong type


def test_the_dialer_and_every_agent_kind_are_deployed() -> None:
    commands = [" ".join(argv) for _, argv in _commands()]
    assert any(c.startswith("hero365 dialer") for c in commands)
    for kind in ("personal", "receptionist", "support", "sales"):
        assert any(f"worker --kind {kind}" in c and "--metrics-port" in c for c in commands), kind


# ------------------------------------------------------------------------------------------------ metrics

def _exposed() -> dict[str, set[str]]:
    """Every sample name the app can expose, with its label names."""
    out: dict[str, set[str]] = {}
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"], "gauge": [""]}
    for obj in vars(metrics).values():
        if isinstance(obj, metrics.Counter | metrics.Gauge | metrics.Histogram) and obj._name.startswith("hero365_"):
            for suffix in suffixes[obj._type]:
                out[obj._name + suffix] = set(obj._labelnames) | ({"le"} if suffix == "_bucket" else set())
    db = metrics.DatabaseMetrics(None)
    db.snapshot = metrics.Snapshot(conversations={("a", "o"): 1}, calls={"o": 1}, attempts={"s": 1}, ok=True)
    for family in db.collect():
        for sample in family.samples:
            out.setdefault(sample.name, set()).update(sample.labels)
    registered = {name for name in metrics.REGISTRY._names_to_collectors if name.startswith("hero365_")}
    assert {n for n in out if not n.startswith(("hero365_conversations", "hero365_calls", "hero365_dialer",
                                               "hero365_db"))} <= registered
    return out


def _livekit_names() -> set[str]:
    """The metrics LiveKit's worker registers (exposed by `hero365 worker --metrics-port` with ours)."""
    import livekit.agents.telemetry.metrics  # noqa: F401  (registers them)

    return {name for name in metrics.REGISTRY._names_to_collectors if name.startswith("lk_agents_")}


def _expressions() -> list[tuple[str, str]]:
    exprs = [(f"rule {r['alert']}", r["expr"]) for g in RULES["groups"] for r in g["rules"]]
    for panel in DASHBOARD["panels"]:
        exprs += [(f"panel {panel['title']}", t["expr"]) for t in panel.get("targets", [])]
    return exprs


#: Labels Prometheus adds to every scraped series.
TARGET_LABELS = {"job", "instance"}


def test_every_metric_in_the_rules_and_the_dashboard_is_exposed_with_those_labels() -> None:
    import promql_parser  # the Prometheus parser (a port of Prometheus's own): a syntax error fails here

    exposed = _exposed()
    used: set[str] = set()
    for where, expr in _expressions():
        try:
            promql_parser.parse(expr)
        except ValueError as exc:
            pytest.fail(f"{where}: not valid PromQL ({exc}): {expr}")
        names = set(re.findall(r"\bhero365_\w+", expr))
        livekit = set(re.findall(r"\blk_agents_\w+", expr))
        assert livekit <= _livekit_names(), f"{where}: {livekit - _livekit_names()} are not LiveKit's metrics"
        assert names or livekit or re.search(r"\bup\{", expr), f"{where} uses no hero365 metric: {expr}"
        for name in names:
            assert name in exposed, f"{where}: {name} is not a metric the app exposes"
        used |= names
        for name, selector in re.findall(r"\b(hero365_\w+)\{([^}]*)\}", expr):
            for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", selector):
                assert label in exposed[name], f"{where}: {name} has no label {label}"
        for group in re.findall(r"\bby \(([^)]*)\)", expr) if names else []:
            for label in (x.strip() for x in group.split(",")):
                assert label in TARGET_LABELS or any(label in exposed[n] for n in names), \
                    f"{where}: no metric in it has the label {label}"
    # the dashboard shows every family the app exposes
    families = {re.sub(r"_(total|bucket|count|sum)$", "", n) for n in exposed}
    assert families <= {re.sub(r"_(total|bucket|count|sum)$", "", n) for n in used}, families - used


#: Each Prometheus rule's threshold is the default of the setting its `setting` label names.
MINIMUM = {"ALERT_ERROR_RATE": "alert_error_min_calls", "ALERT_RESPONSE_P95_SECONDS": "alert_response_min_turns",
           "ALERT_DIALER_FAILURE_RATE": "alert_dialer_min_attempts"}
WINDOW = {"ALERT_ERROR_RATE": "alert_error_window_minutes", "ALERT_RESPONSE_P95_SECONDS":
          "alert_response_window_minutes", "ALERT_DIALER_FAILURE_RATE": "alert_dialer_window_minutes"}


def test_prometheus_thresholds_are_the_application_alert_settings() -> None:
    defaults = Settings(_env_file=None, database_url="sqlite+aiosqlite:///:memory:")  # type: ignore[call-arg]
    checked = set()
    for group in RULES["groups"]:
        for rule in group["rules"]:
            setting = rule.get("labels", {}).get("setting")
            if setting is None:
                continue
            expr = rule["expr"]
            threshold = float(re.search(r"\)\s*>\s*([\d.]+)", expr).group(1))  # type: ignore[union-attr]
            assert threshold == getattr(defaults, setting.lower()), rule["alert"]
            minimum = float(re.search(r">=\s*([\d.]+)", expr).group(1))  # type: ignore[union-attr]
            assert minimum == getattr(defaults, MINIMUM[setting]), rule["alert"]
            minutes = getattr(defaults, WINDOW[setting])
            window = f"[{minutes}m]" if minutes % 60 else f"[{minutes // 60}h]"
            assert window in expr, f"{rule['alert']}: window {window} expected"
            checked.add(setting)
    assert checked == set(MINIMUM)


# ------------------------------------------------------------------------------------------------ probes, ports

async def _gateway_answers(tmp_path: Path, paths: set[str]) -> dict[str, int]:
    """GET each path on the real gateway app (a SQLite file): the status it answers (404: no such route)."""
    import httpx

    from hero365.gateway import create_app

    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db",  # type: ignore[call-arg]
                        jwt_secret="x" * 40, alerts_interval_seconds=0)
    application = create_app(settings, stt_factory=None)
    async with application.router.lifespan_context(application), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://gateway") as client:
        return {path: (await client.get(path)).status_code for path in paths}


#: LiveKit's worker health server (livekit.agents.worker): "/" (503 while the LiveKit server is unreachable)
#: and "/worker" (the worker's status); checked for real by test_worker_metrics.py.
WORKER_ROUTES = {"/", "/worker"}


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


async def test_probes_and_healthchecks_point_at_real_routes_and_ports(tmp_path: Path) -> None:
    gateway_paths: set[str] = {"/metrics"}
    probed = 0
    for name, c in _k8s_containers():
        argv = list(c.get("command", [])) + list(c.get("args", []))
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            get = c.get(probe, {}).get("httpGet")
            if get is None:
                continue
            probed += 1
            port = ports.get(get["port"], get["port"])
            if argv[1] == "serve":
                gateway_paths.add(get["path"])
                assert port == int(_option(argv, "--port") or 0), (name, probe)
            else:
                assert get["path"] in WORKER_ROUTES and port == int(_option(argv, "--port") or 0), (name, probe)
    assert probed == 3 + 2 * 4  # gateway: startup, liveness, readiness; each of 4 workers: liveness, readiness
    for name, svc in COMPOSE["services"].items():
        test = " ".join(svc.get("healthcheck", {}).get("test", []))
        for port, path in re.findall(r"http://127\.0\.0\.1:(\d+)(/\w*)", test):
            argv = svc["command"]
            assert int(port) == int(_option(argv, "--port") or 0), name
            if argv[1] == "serve":
                gateway_paths.add(path)
            else:
                assert path in WORKER_ROUTES, name
    answers = await _gateway_answers(tmp_path, gateway_paths)
    assert answers == dict.fromkeys(gateway_paths, 200), answers  # probes answer (and the database is up)
    assert {"/healthz", "/readyz"} <= set(answers)


def test_scrape_targets_and_annotations_match_the_metrics_ports() -> None:
    services = COMPOSE["services"]
    gateway = next(t for j in PROMETHEUS["scrape_configs"] if j["job_name"] == "hero365-gateway"
                   for t in j["static_configs"][0]["targets"])
    host, port = gateway.split(":")
    assert int(port) == int(_option(services[host]["command"], "--port") or 0)
    agents = next(j for j in PROMETHEUS["scrape_configs"] if j["job_name"] == "hero365-agents")["dns_sd_configs"][0]
    for host in agents["names"]:
        assert int(_option(services[host]["command"], "--metrics-port") or 0) == agents["port"]
    workers = {n for n, s in services.items() if "worker" in s.get("command", [])}
    assert workers == set(agents["names"])
    assert PROMETHEUS["rule_files"] == ["/etc/prometheus/rules.yml"]
    assert "./prometheus/rules.yml:/etc/prometheus/rules.yml:ro" in services["prometheus"]["volumes"]
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/hero365.yml").read_text())
    assert f"./grafana/dashboards:{provider['providers'][0]['options']['path']}:ro" in services["grafana"]["volumes"]
    for doc in K8S:
        if doc["kind"] != "Deployment":
            continue
        pod = doc["spec"]["template"]
        scrape = pod["metadata"].get("annotations", {})
        if scrape.get("prometheus.io/scrape") != "true":
            continue
        argv = pod["spec"]["containers"][0]["command"]
        port = _option(argv, "--metrics-port") or _option(argv, "--port")
        assert scrape["prometheus.io/port"] == port and scrape["prometheus.io/path"] == "/metrics", doc["metadata"]


def test_the_kubernetes_scrape_job_reads_the_annotations_the_pods_carry() -> None:
    job = yaml.safe_load((DEPLOY / "prometheus" / "kubernetes-scrape.yml").read_text())["scrape_configs"][0]
    sources = {label for r in job["relabel_configs"] for label in r["source_labels"]}
    annotated = {key for d in K8S if d["kind"] == "Deployment"
                 for key in d["spec"]["template"]["metadata"].get("annotations", {})}
    assert annotated == {"prometheus.io/scrape", "prometheus.io/port", "prometheus.io/path"}
    for key in annotated:  # Kubernetes service discovery's name for a pod annotation
        assert "__meta_kubernetes_pod_annotation_" + re.sub(r"[^a-zA-Z0-9_]", "_", key) in sources
    assert job["kubernetes_sd_configs"][0]["namespaces"]["names"] == [
        next(d for d in K8S if d["kind"] == "Namespace")["metadata"]["name"]]


def test_every_agent_worker_scales_with_an_autoscaler() -> None:
    deployments = {d["metadata"]["name"] for d in K8S if d["kind"] == "Deployment"
                   and "worker" in d["spec"]["template"]["spec"]["containers"][0]["command"]}
    scaled = {d["spec"]["scaleTargetRef"]["name"] for d in K8S if d["kind"] == "HorizontalPodAutoscaler"}
    assert deployments and deployments <= scaled


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed: kustomize rendering skipped")
def test_kustomize_renders_the_manifests() -> None:
    out = subprocess.run(["kubectl", "kustomize", str(DEPLOY / "k8s")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(out.stdout) if d]
    assert kinds.count("HorizontalPodAutoscaler") == 4 and "Secret" not in kinds  # the template is never applied
