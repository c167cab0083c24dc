"""docker-compose.yml names only things that exist, keeps no secrets, and wires health checks.

A compose file is easy to break without noticing (a renamed module, a moved config file): this
test resolves every command it names against the code, without starting any container.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
SECRET_KEY = re.compile(r"SECRET|PASSWORD|PASS$|TOKEN", re.I)
REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?[-?+][^}]*)?\}")


def command(name: str) -> list[str]:
    cmd = SERVICES[name].get("command") or []
    return cmd.split() if isinstance(cmd, str) else [str(part) for part in cmd]


def gunicorn_services() -> list[str]:
    return [name for name in SERVICES if command(name)[:1] == ["gunicorn"]]


def module_services() -> list[str]:
    return [name for name in SERVICES if command(name)[:2] == ["python", "-m"]]


def app_reference(name: str) -> tuple[str, str]:
    """``("detention.app", "create_app")`` from ``gunicorn ... "detention.app:create_app()"``."""
    match = re.fullmatch(r"([\w.]+):(\w+)\(\)", command(name)[-1])
    assert match, f"{name}: the last gunicorn argument should be 'package.module:factory()'"
    return match.group(1), match.group(2)


def environment(name: str) -> dict[str, str]:
    env = SERVICES[name].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def test_the_compose_file_has_the_production_shape() -> None:
    expected = {"mongo", "rabbitmq", "gateway"} | {
        f"{s}-{kind}"
        for s in ("detention", "readmission", "voluntary-return")
        for kind in ("api", "worker")
    }
    assert expected <= set(SERVICES)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_an_image_or_a_dockerfile_that_exists(name: str) -> None:
    spec = SERVICES[name]
    assert "image" in spec or "build" in spec, name
    build = spec.get("build")
    if build is not None:
        context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = (
            "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        )
        assert (context / dockerfile).is_file(), f"{name}: {context / dockerfile} does not exist"


@pytest.mark.parametrize("name", gunicorn_services())
def test_gunicorn_config_file_and_app_factory_exist(name: str) -> None:
    cmd = command(name)
    assert "-c" in cmd, f"{name}: gunicorn should be given its config file with -c"
    assert (ROOT / cmd[cmd.index("-c") + 1]).is_file()
    module_name, factory = app_reference(name)
    module = importlib.import_module(module_name)
    assert callable(getattr(module, factory, None)), f"{module_name}.{factory} is not callable"


@pytest.mark.parametrize("name", module_services())
def test_python_dash_m_modules_exist_and_have_a_main(name: str) -> None:
    module_name = command(name)[2]
    assert importlib.util.find_spec(module_name) is not None, f"{name}: no module {module_name}"
    module = importlib.import_module(module_name)
    assert callable(getattr(module, "main", None)), f"{module_name} has no main()"


def test_importing_the_named_modules_does_no_network_io() -> None:
    """Imported in a fresh interpreter with sockets disabled: a connection at import time fails
    it."""
    modules = sorted(
        {app_reference(n)[0] for n in gunicorn_services()}
        | {command(n)[2] for n in module_services()}
    )
    probe = (
        "import json, socket, importlib, sys\n"
        "def refuse(*a, **k): raise RuntimeError('network I/O at import time')\n"
        "socket.socket.connect = socket.socket.connect_ex = refuse\n"
        "socket.getaddrinfo = socket.create_connection = refuse\n"
        "failed = {}\n"
        "for name in json.loads(sys.argv[1]):\n"
        "    try: importlib.import_module(name)\n"
        "    except Exception as exc: failed[name] = repr(exc)\n"
        "print(json.dumps(failed))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(modules)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {}


@pytest.mark.parametrize("name", gunicorn_services())
def test_http_services_have_a_healthz_healthcheck(name: str) -> None:
    check = SERVICES[name].get("healthcheck") or {}
    assert "/healthz" in " ".join(map(str, check.get("test", []))), (
        f"{name}: no /healthz health check"
    )


@pytest.mark.parametrize("name", ["mongo", "rabbitmq"])
def test_infrastructure_has_healthchecks(name: str) -> None:
    assert SERVICES[name].get("healthcheck", {}).get("test"), f"{name}: no health check"


def test_mongo_runs_as_a_replica_set() -> None:
    assert "--replSet" in command("mongo")
    assert "replicaSet=" in environment("detention-api")["MONGO_URL"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_secret_values_are_committed(name: str) -> None:
    for key, value in environment(name).items():
        if SECRET_KEY.search(key):
            assert REFERENCE.fullmatch(value), (
                f"{name}: {key} must be a ${{...}} reference, not a value"
            )
        credentials = re.search(r"://[^@/]*:([^@/]*)@", REFERENCE.sub("REF", value))
        if credentials:
            assert credentials.group(1) == "REF", f"{name}: {key} holds a literal password in a URL"


def test_required_variables_are_listed_in_env_example() -> None:
    required = set(
        re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):\?", (ROOT / "docker-compose.yml").read_text())
    )
    listed = set(
        re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert required and required <= listed, (
        f"missing from .env.example: {sorted(required - listed)}"
    )


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_depends_on_names_existing_services(name: str) -> None:
    needs = SERVICES[name].get("depends_on") or []
    for target in needs:
        assert target in SERVICES, f"{name} depends on unknown service {target}"
    if isinstance(needs, dict):
        for target, condition in needs.items():
            if condition.get("condition") == "service_healthy":
                assert "healthcheck" in SERVICES[target], (
                    f"{name} waits for {target} to be healthy; it has no check"
                )


@pytest.mark.parametrize("name", sorted({n for n in SERVICES if "build" in SERVICES[n]}))
def test_dockerfiles_pin_and_drop_root(name: str) -> None:
    build = SERVICES[name]["build"]
    text = (ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert "-c constraints.txt" in text
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in {"root", "0"}, (
        f"{name}: the image should run as a non-root user"
    )
    assert re.search(r"^EXPOSE\s+8000\b", text, re.M)


def test_the_launcher_runs_the_same_commands_as_compose() -> None:
    from devstack.stack import Stack

    compose = {" ".join(command(n)[-1:]) for n in gunicorn_services()} | {
        command(n)[2] for n in module_services()
    }
    launcher = {spec.argv[-1] for spec in Stack(ROOT).specs()}
    assert launcher == compose


# --- a closed database and bus (issue 11, finding 6)
# -------------------------------------------------

SERVICE_USERS = {
    "detention": "detention",
    "readmission": "readmission",
    "voluntary-return": "voluntary_return",
}


def _url_user(url: str) -> str:
    match = re.match(r"^[a-z]+://([^:@/]+):\$\{[A-Z_]+:\?[^}]*\}@", url)
    assert match, f"{url}: no user with a password from .env"
    return match.group(1)


def test_mongo_requires_authentication_with_a_keyfile_and_a_root_user_from_env() -> None:
    cmd = command("mongo")
    assert "--auth" in cmd and "--keyFile" in cmd
    env = environment("mongo")
    for name in ("MONGO_INITDB_ROOT_PASSWORD", "MONGO_REPLICA_SET_KEY"):
        assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", env[name]), (
            f"{name} must be required from .env"
        )
    assert "0400" in " ".join(SERVICES["mongo"]["entrypoint"]), (
        "the keyfile must be readable by mongod only"
    )
    assert "--authenticationDatabase admin" in " ".join(SERVICES["mongo"]["healthcheck"]["test"])


def test_each_process_connects_to_mongodb_and_rabbitmq_as_its_own_user() -> None:
    for compose_name, user in SERVICE_USERS.items():
        for kind in ("api", "worker"):
            env = environment(f"{compose_name}-{kind}")
            assert _url_user(env["MONGO_URL"]) == user and "authSource=admin" in env["MONGO_URL"]
            assert _url_user(env["AMQP_URL"]) == user
    gateway = environment("gateway")
    assert _url_user(gateway["MONGO_URL"]) == "gateway" and "AMQP_URL" not in gateway
    passwords = {
        re.search(r"\$\{([A-Z_]+)", environment(f"{c}-api")[v]).group(1)
        for c in SERVICE_USERS
        for v in ("MONGO_URL", "AMQP_URL")
    }
    assert len(passwords) == 2 * len(SERVICE_USERS), "no two users share a password variable"


def test_the_mongo_users_script_gives_each_service_its_own_database_only() -> None:
    mounted = [v for v in SERVICES["mongo"]["volumes"] if "ensure-replica-set-and-users.js" in v]
    assert mounted and (ROOT / mounted[0].split(":")[0]).is_file()
    script = (ROOT / mounted[0].split(":")[0]).read_text()
    assert "/etc/passage/ensure-replica-set-and-users.js" in " ".join(
        SERVICES["mongo"]["healthcheck"]["test"]
    )
    roles = re.findall(r"roles: \[(.*?)\]", script)
    assert roles == ["{role: 'readWrite', db: prefix + service}"], (
        "one readWrite role, on the user's own database"
    )
    for user in (*SERVICE_USERS.values(), "gateway"):
        assert f"'{user}'" in script
        assert f"MONGO_{user.upper()}_PASSWORD" in environment("mongo")
    assert not re.search(r"AnyDatabase|root|dbOwner|clusterAdmin", script.split("quit(1)", 1)[1])


def test_rabbitmq_has_a_user_per_service_and_no_guest() -> None:
    env = environment("rabbitmq")
    assert env["RABBITMQ_DEFAULT_USER"] != "guest" and "guest" not in env["RABBITMQ_DEFAULT_PASS"]
    mounted = [v for v in SERVICES["rabbitmq"]["volumes"] if "ensure-users.sh" in v]
    assert mounted and "/etc/passage/ensure-users.sh" in " ".join(
        SERVICES["rabbitmq"]["healthcheck"]["test"]
    )
    script = (ROOT / mounted[0].split(":")[0]).read_text()
    assert "delete_user guest" in script and "add_user" in script
    for user in SERVICE_USERS.values():
        assert user in script and f"RABBITMQ_{user.upper()}_PASSWORD" in env
    done = subprocess.run(
        ["sh", "-n", str(ROOT / mounted[0].split(":")[0])], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_the_gateway_keeps_its_audit_key_in_env_and_checkpoints_on_a_volume() -> None:
    env = environment("gateway")
    assert re.fullmatch(r"\$\{AUDIT_CHAIN_KEY:\?[^}]*\}", env["AUDIT_CHAIN_KEY"])
    checkpoints = env["AUDIT_CHECKPOINT_FILE"]
    assert any(
        checkpoints.startswith(v.split(":")[1] + "/") for v in SERVICES["gateway"]["volumes"]
    )
    assert "AUDIT_CHAIN_KEY" not in environment("detention-api")


# the edge (issue 12: slow connections took the published gunicorn down) -------------------------
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()
PROXY = (ROOT / "deploy" / "passage-proxy.conf").read_text()


def nginx_directives(text: str) -> dict[str, list[str]]:
    """``{directive: [arguments, ...]}`` of an nginx config (comments dropped; every occurrence
    kept)."""
    found: dict[str, list[str]] = {}
    for statement in re.findall(
        r'(?:"[^"]*"|[^;{}"])+', re.sub(r"#[^\n]*", "", text)
    ):  # quotes may hold ';'
        words = statement.split(maxsplit=1)
        if words:
            found.setdefault(words[0], []).append(words[1].strip() if len(words) > 1 else "")
    return found


def seconds(value: str) -> int:
    match = re.fullmatch(r"(\d+)(s|m)?", value)
    assert match, value
    return int(match.group(1)) * (60 if match.group(2) == "m" else 1)


def test_only_the_edge_is_published() -> None:
    published = {
        name
        for name, spec in SERVICES.items()
        if any(not str(p).startswith("127.0.0.1:") for p in spec.get("ports") or [])
    }
    assert published == {"edge"}
    assert "ports" not in SERVICES["gateway"]


def test_the_edge_is_the_official_nginx_image_with_our_config_and_tls_from_a_volume() -> None:
    edge = SERVICES["edge"]
    assert re.fullmatch(r"nginx:\d+\.\d+(-alpine)?", edge["image"])
    mounts = {str(v).rsplit(":", 2)[1]: str(v).rsplit(":", 2)[0] for v in edge["volumes"]}
    assert (ROOT / mounts["/etc/nginx/nginx.conf"]).resolve() == ROOT / "deploy" / "nginx.conf"
    assert (
        ROOT / mounts["/etc/nginx/passage-proxy.conf"]
    ).resolve() == ROOT / "deploy" / "passage-proxy.conf"
    assert REFERENCE.fullmatch(mounts["/etc/nginx/tls"])  # from .env, never a committed key
    assert edge["depends_on"]["gateway"]["condition"] == "service_healthy"


def test_the_gateway_trusts_exactly_the_one_hop_of_the_edge() -> None:
    assert environment("gateway")["PASSAGE_TRUSTED_PROXIES"] == "1"
    proxy = nginx_directives(PROXY)
    # set, not appended ($proxy_add_x_forwarded_for would keep what the client sent)
    assert ["X-Forwarded-For $remote_addr"] == [
        h for h in proxy["proxy_set_header"] if h.startswith("X-Forwarded-For")
    ]
    assert proxy["proxy_pass"] == ["http://gateway"]


def test_slow_clients_are_bounded_by_timeouts_and_buffering() -> None:
    http = nginx_directives(NGINX)
    proxy = nginx_directives(PROXY)
    assert seconds(http["client_header_timeout"][0]) <= 15
    assert seconds(http["client_body_timeout"][0]) <= 15
    assert seconds(http["send_timeout"][0]) <= 30
    assert http["reset_timedout_connection"] == ["on"]
    assert proxy["proxy_request_buffering"] == ["on"] and proxy["proxy_buffering"] == ["on"]
    assert seconds(proxy["proxy_read_timeout"][0]) <= 60


def test_body_and_connection_limits() -> None:
    http = nginx_directives(NGINX)
    assert http["client_max_body_size"] == ["256k"]  # the gateway's own max_body_bytes
    assert any("$binary_remote_addr" in z for z in http["limit_conn_zone"])
    assert http["limit_conn"] and http["limit_req"]
    assert http["limit_conn_status"] == ["429"] and http["limit_req_status"] == ["429"]


def test_tls_termination_and_hsts() -> None:
    http = nginx_directives(NGINX)
    assert "8443 ssl" in http["listen"]
    assert http["ssl_certificate"] == ["/etc/nginx/tls/fullchain.pem"]
    assert http["ssl_certificate_key"] == ["/etc/nginx/tls/privkey.pem"]
    assert set(http["ssl_protocols"][0].split()) <= {"TLSv1.2", "TLSv1.3"}
    hsts = [h for h in http["add_header"] if h.startswith("Strict-Transport-Security")]
    assert (
        hsts
        and seconds(re.search(r"max-age=(\d+)", hsts[0]).group(1)) >= 180 * 86400
        and hsts[0].endswith("always")
    )
    assert any(r.startswith("301 https://") for r in http["return"])  # plain HTTP only redirects


def test_operator_endpoints_are_not_routed_publicly() -> None:
    text = re.sub(r"#[^\n]*", "", NGINX)
    assert re.search(r"location = /metrics\s*\{\s*return 404;\s*\}", text)
    guarded = re.search(
        r"location ~ \^/\(openapi\\\.json\|docs\)\(/\|\$\)\s*\{(?P<body>[^}]*)\}", text
    )
    assert guarded and "deny all;" in guarded.group("body")
    assert "allow all" not in text


# --- true metrics under gunicorn (issue 17) ------------------------------------------------------


def test_every_python_process_writes_metrics_to_a_fresh_multiprocess_directory() -> None:
    """Without a shared directory each gunicorn worker answers /metrics with its own counts only."""
    python = [
        name for name, svc in SERVICES.items() if str(svc.get("build", "")) and name != "edge"
    ]
    assert len(python) == 7, python
    for name in python:
        directory = environment(name).get("PROMETHEUS_MULTIPROC_DIR")
        assert directory, f"{name}: PROMETHEUS_MULTIPROC_DIR unset"
        assert directory in SERVICES[name].get("tmpfs", []), (
            f"{name}: metrics directory must be a fresh tmpfs"
        )


ROUTED_SERVICES = ("services/detention", "services/readmission", "services/voluntary-return")


SERVICE_IMAGES = sorted(
    n for n, spec in SERVICES.items() if "services/" in spec.get("build", {}).get("dockerfile", "")
)


def test_each_service_runs_an_api_and_a_worker_from_its_image() -> None:
    assert len(SERVICE_IMAGES) == 2 * len(ROUTED_SERVICES), SERVICE_IMAGES


@pytest.mark.parametrize("name", SERVICE_IMAGES)
def test_every_service_image_knows_the_whole_bus_topology(name: str) -> None:
    """Each process declares every queue (DESIGN §4): its image must carry every service's routes
    (``passage.routes`` entry points), or a producer started first would drop another's events."""
    build = SERVICES[name]["build"]
    text = (ROOT / build.get("context", ".") / build["dockerfile"]).read_text()
    installs = " ".join(re.findall(r"pip install[^\n]*", text))
    for package in ROUTED_SERVICES:
        assert f"./{package}" in installs, f"{name}: the image does not install {package}"


def _gunicorn_workers(conf: Path, env: dict[str, str]) -> int:
    """``workers`` as gunicorn reads it from ``conf`` under ``env`` (a fresh interpreter)."""
    code = f"import runpy; print(runpy.run_path({str(conf)!r})['workers'])"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


def test_the_detention_api_runs_one_process_and_the_others_two_unless_told() -> None:
    """One detention process keeps a unit's moves in one process's turns (no conflicts between
    processes); WEB_CONCURRENCY still decides when set, in compose as on a bare host."""
    base = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
    detention = ROOT / "services" / "detention" / "gunicorn.conf.py"
    assert _gunicorn_workers(detention, base) == 1
    assert _gunicorn_workers(detention, {**base, "WEB_CONCURRENCY": "3"}) == 3
    assert environment("detention-api")["WEB_CONCURRENCY"] == "${DETENTION_CONCURRENCY:-1}"
    for conf in (
        ROOT / "services" / "readmission" / "gunicorn.conf.py",
        ROOT / "services" / "voluntary-return" / "gunicorn.conf.py",
        ROOT / "gateway" / "gunicorn.conf.py",
    ):
        assert _gunicorn_workers(conf, base) == 2, conf
    for name in ("readmission-api", "voluntary-return-api", "gateway"):
        assert environment(name)["WEB_CONCURRENCY"] == "${WEB_CONCURRENCY:-2}", name


def test_gunicorn_builds_no_access_log_lines() -> None:
    """The apps log each request themselves; gunicorn's logger must not build a second line (with
    ``logconfig_dict`` set it would, for every request, and drop it)."""
    from gunicorn.config import Config

    settings = runpy.run_path(str(ROOT / "gateway" / "gunicorn.conf.py"))
    cfg = Config()
    for name in ("logger_class", "logconfig_dict", "accesslog"):
        cfg.set(name, settings[name])
    logger = cfg.logger_class(cfg)
    assert logger.access_log_enabled is False
    logger.access(None, None, None, 0.0)  # gunicorn's own would read the response's status here
