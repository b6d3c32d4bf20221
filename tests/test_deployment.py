"""The production shape (docker-compose.yml, Dockerfile) names things that exist and works.

No Docker engine is needed: the files are parsed, what their commands name is imported or run
natively, and the web service's own gunicorn command line is started against the test database.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import environ
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
VENV_BIN = Path(sys.executable).parent

SERVICES = ("postgres", "redis", "web", "worker", "beat")
APP_SERVICES = ("web", "worker", "beat")
PUBLIC_HOST = "platform.example.org"
# What an operator puts in .env beside the compose file; values for this test only.
OPERATOR_ENV = {
    "DJANGO_SECRET_KEY": "test-only-secret-key-for-the-deployment-tests-0123456789",
    "DJANGO_ALLOWED_HOSTS": PUBLIC_HOST,
    "POSTGRES_PASSWORD": "test-only-password",
    "EMAIL_URL": "smtp+tls://mailer:test-only@smtp.example.org:587",
}
# Libraries WeasyPrint loads at import (weasyprint/text/ffi.py) and the font the PDFs use.
WEASYPRINT_PACKAGES = {
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz0b",
    "libharfbuzz-subset0",
    "fonts-dejavu-core",
}
COMPOSE_TOP_LEVEL_KEYS = {"name", "services", "volumes", "networks", "configs", "secrets"}
COMPOSE_SERVICE_KEYS = {
    "build",
    "command",
    "configs",
    "container_name",
    "depends_on",
    "deploy",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "labels",
    "logging",
    "networks",
    "ports",
    "profiles",
    "read_only",
    "restart",
    "secrets",
    "stop_grace_period",
    "stop_signal",
    "tmpfs",
    "user",
    "volumes",
    "working_dir",
}
DURATION = re.compile(r"^(\d+(us|ms|s|m|h))+$")


# --- Reading the files ------------------------------------------------------------------------


class MissingVariableError(Exception):
    pass


_VARIABLE = re.compile(
    r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[?-])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Resolve ${VAR}, ${VAR:-default}, ${VAR:?error} and $$ as `docker compose` does."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match["name"] or match["bare"]
        op, arg = match["op"], match["arg"]
        value = variables.get(name)
        unset = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":?", "?") and unset:
            raise MissingVariableError(f"{name}: {arg}")
        if op in (":-", "-") and unset:
            return arg
        return value or ""

    return _VARIABLE.sub(replace, text)


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


def service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert name in services, f"docker-compose.yml has no {name} service"
    return services[name]


def raw_environment(name: str) -> dict[str, str]:
    environment = service(name).get("environment", {})
    assert isinstance(environment, dict), f"{name}: write environment as a mapping"
    return {key: str(value) for key, value in environment.items()}


def environment(name: str, variables: Mapping[str, str] = OPERATOR_ENV) -> dict[str, str]:
    """The environment a service's container gets, for the given .env values."""
    return {key: interpolate(value, variables) for key, value in raw_environment(name).items()}


def argv(value: str | list[Any]) -> list[str]:
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


def command(name: str) -> list[str]:
    return argv(service(name)["command"])


def healthcheck_argv(name: str) -> list[str]:
    """The healthcheck as argv, with compose variables ($$HOSTNAME) resolved."""
    test = argv(service(name)["healthcheck"]["test"])
    if test[0] == "CMD-SHELL":
        return shlex.split(interpolate(" ".join(test[1:]), {}))
    assert test[0] == "CMD", f"{name}: healthcheck test must start with CMD or CMD-SHELL"
    return [interpolate(part, {}) for part in test[1:]]


def project_commands() -> dict[str, list[str]]:
    """Every command line of the compose file that runs the project's code, by a label."""
    found: dict[str, list[str]] = {}
    for name, definition in compose()["services"].items():
        if definition.get("image", "").startswith(("postgres", "redis")):
            continue
        for key in ("entrypoint", "command"):
            if key in definition:
                found[f"{name} {key}"] = argv(definition[key])
        if "healthcheck" in definition:
            found[f"{name} healthcheck"] = healthcheck_argv(name)
    return found


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1].strip() + " "
            continue
        keyword, _, arguments = (current + stripped).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


def dockerfile(keyword: str) -> list[str]:
    return [arguments for key, arguments in dockerfile_instructions() if key == keyword]


def dockerfile_run_steps() -> list[str]:
    """Each `&&`-separated shell step of every RUN."""
    return [step.strip() for run in dockerfile("RUN") for step in run.split("&&")]


def dockerfile_environment() -> dict[str, str]:
    variables: dict[str, str] = {}
    for arguments in dockerfile("ENV"):
        for pair in shlex.split(arguments):
            key, _, value = pair.partition("=")
            variables[key] = value
    return variables


def native(args: list[str]) -> list[str]:
    """The command with its program taken from this virtualenv, as `pip install .` puts it."""
    program = VENV_BIN / args[0]
    assert program.exists(), f"{args[0]} is not installed by the project's dependencies"
    return [str(program), *args[1:]]


def database_url_for_tests() -> str:
    """DATABASE_URL for pytest-django's test database (not the one it was made from)."""
    from django.db import connection

    settings = connection.settings_dict
    host = settings.get("OPTIONS", {}).get("host") or settings["HOST"]
    user = quote(settings["USER"], safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    name = quote(settings["NAME"], safe="")
    if not host or host.startswith("/"):
        query = f"?host={quote(host, safe='/')}" if host else ""
        url = f"postgres://{user}{password}@/{name}{query}"
    else:
        port = f":{settings['PORT']}" if settings["PORT"] else ""
        url = f"postgres://{user}{password}@{host}{port}/{name}"
    assert environ.Env.db_url_config(url)["NAME"] == settings["NAME"]
    return url


def native_environment(name: str, **overrides: str) -> dict[str, str]:
    """The service's container environment, with this machine's PATH and the test database."""
    return {
        **dockerfile_environment(),
        **environment(name),
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": database_url_for_tests(),
        **overrides,
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(
    port: int, path: str, *, host: str = PUBLIC_HOST, via_proxy: bool = True
) -> tuple[int, dict[str, str], bytes]:
    """GET from 127.0.0.1 the way the TLS-terminating reverse proxy forwards a request."""
    headers = {"Host": host}
    if via_proxy:
        headers["X-Forwarded-Proto"] = "https"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# --- docker-compose.yml -----------------------------------------------------------------------


def test_compose_file_has_the_compose_spec_shape() -> None:
    data = compose()
    unknown = {
        key for key in data if key not in COMPOSE_TOP_LEVEL_KEYS and not key.startswith("x-")
    }
    assert not unknown, f"unknown top-level keys: {unknown}"
    declared_volumes = set(data.get("volumes") or {})
    for name, definition in data["services"].items():
        unknown = set(definition) - COMPOSE_SERVICE_KEYS
        assert not unknown, f"{name}: unknown keys {unknown}"
        assert "image" in definition or "build" in definition, name
        for volume in definition.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared_volumes, f"{name}: volume {source} is not declared"
        for dependency in definition.get("depends_on", {}):
            assert dependency in data["services"], f"{name} depends on unknown {dependency}"
        durations = {**definition.get("healthcheck", {}), **definition}
        for key in ("interval", "timeout", "start_period", "stop_grace_period"):
            if key in durations:
                assert DURATION.match(durations[key]), f"{name}: {key}={durations[key]}"


def test_every_service_exists_and_has_a_healthcheck() -> None:
    services = compose()["services"]
    for name in SERVICES:
        assert name in services, f"docker-compose.yml has no {name} service"
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_app_services_start_only_once_postgres_and_redis_are_healthy() -> None:
    for name in APP_SERVICES:
        depends_on = service(name).get("depends_on")
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for dependency in ("postgres", "redis"):
            assert depends_on.get(dependency) == {"condition": "service_healthy"}, name


def test_migrations_run_before_web_worker_and_beat_start() -> None:
    migrators = [
        name
        for name, definition in compose()["services"].items()
        if "command" in definition and argv(definition["command"])[1:3] == ["manage.py", "migrate"]
    ]
    assert len(migrators) == 1, "one service runs `manage.py migrate`"
    migrate = service(migrators[0])
    assert "--noinput" in argv(migrate["command"])
    assert migrate["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert migrate["restart"] == "no", "a one-off job must not be restarted after it succeeds"
    for name in APP_SERVICES:
        condition = service(name)["depends_on"].get(migrators[0])
        assert condition == {"condition": "service_completed_successfully"}, name


def test_redis_keeps_every_queued_task() -> None:
    args = command("redis")
    options = dict(zip(args[1::2], args[2::2], strict=False))
    assert args[0] == "redis-server"
    assert options.get("--maxmemory-policy") == "noeviction"
    assert options.get("--appendonly") == "yes"
    assert any(volume.endswith(":/data") for volume in service("redis")["volumes"])


def test_app_services_share_one_production_environment() -> None:
    web = raw_environment("web")
    for name in APP_SERVICES:
        assert raw_environment(name) == web, f"{name} has a different environment from web"
    resolved = environment("web")
    assert resolved["DJANGO_DEBUG"] == "false"
    for key in ("DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"):
        assert resolved.get(key), f"{key} is not set for the app services"
    assert resolved["EMAIL_URL"] == OPERATOR_ENV["EMAIL_URL"]
    assert resolved["DATABASE_URL"].startswith("postgres://")
    assert "@postgres:5432/" in resolved["DATABASE_URL"]
    assert resolved["REDIS_URL"].startswith("redis://redis:6379/")
    # The password the app uses is the one the database is created with.
    assert f":{OPERATOR_ENV['POSTGRES_PASSWORD']}@" in resolved["DATABASE_URL"]
    assert environment("postgres")["POSTGRES_PASSWORD"] == OPERATOR_ENV["POSTGRES_PASSWORD"]


_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|(^|_)KEY$", re.IGNORECASE)
_REQUIRED_VARIABLE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]*\}$")
_URL_PASSWORD = re.compile(r"://[^:/@\s]*:(?P<password>[^@]+)@")


def test_no_service_hard_codes_a_secret() -> None:
    for name in compose()["services"]:
        for key, value in raw_environment(name).items():
            if _REQUIRED_VARIABLE.match(value):
                continue
            assert not _SECRET_NAME.search(key), f"{name}: {key} must be ${{{key}:?...}}"
            match = _URL_PASSWORD.search(value)
            if match:
                assert _REQUIRED_VARIABLE.match(match["password"]), f"{name}: password in {key}"


@pytest.mark.parametrize("variable", sorted(OPERATOR_ENV))
def test_compose_refuses_to_start_without_a_required_variable(variable: str) -> None:
    for missing in ({}, {variable: ""}):
        variables = {**{k: v for k, v in OPERATOR_ENV.items() if k != variable}, **missing}
        with pytest.raises(MissingVariableError, match=variable):
            for name in compose()["services"]:
                environment(name, variables)


def test_compose_trusts_the_one_reverse_proxy_the_deployment_notes_put_in_front() -> None:
    """Behind nginx every connection comes from nginx: the client is the address nginx adds to
    X-Forwarded-For, and the throttle on failed log-ins counts by it."""
    deployment = (ROOT / "docs" / "deployment.md").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in deployment
    assert "DJANGO_TRUSTED_PROXY_COUNT" in deployment
    for name in APP_SERVICES:
        assert environment(name)["DJANGO_TRUSTED_PROXY_COUNT"] == "1", name
    more_proxies = {**OPERATOR_ENV, "DJANGO_TRUSTED_PROXY_COUNT": "2"}
    assert environment("web", more_proxies)["DJANGO_TRUSTED_PROXY_COUNT"] == "2"


@pytest.mark.django_db
def test_the_web_service_reads_the_client_address_nginx_forwards() -> None:
    """The web service's settings, given what nginx sends, see the client and not nginx."""
    env = native_environment("web")
    code = (
        "import config.wsgi; from django.test import RequestFactory; "  # as gunicorn loads it
        "from stakeholders.auth import client_ip; "
        "request = RequestFactory().post('/accounts/login/', REMOTE_ADDR='172.18.0.1', "
        "HTTP_X_FORWARDED_FOR='6.6.6.6, 198.51.100.7'); print(client_ip(request))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "198.51.100.7"


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    patterns = {
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".git", ".venv", "db.sqlite3", "var"} <= patterns


# --- What the commands name exists ------------------------------------------------------------


def test_commands_run_programs_the_project_installs() -> None:
    for args in project_commands().values():
        native(args)  # asserts that the program is there


def test_web_serves_the_project_wsgi_application() -> None:
    import importlib

    args = command("web")
    assert args[0] == "gunicorn"
    targets = [arg for arg in args[1:] if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", arg)]
    assert targets == ["config.wsgi:application"]
    module_name, _, attribute = targets[0].partition(":")
    application = getattr(importlib.import_module(module_name), attribute)
    assert callable(application)


def test_celery_app_option_names_the_project_celery_app() -> None:
    from celery.app.utils import find_app

    from config.celery import app

    seen = 0
    for label, args in project_commands().items():
        if args[0] != "celery":
            continue
        seen += 1
        assert args[1] == "-A", label
        assert find_app(args[2]) is app, label
    assert seen >= 3, "worker, its healthcheck and beat run celery"


def test_beat_uses_the_database_scheduler() -> None:
    from celery.beat import Scheduler
    from celery.utils.imports import symbol_by_name
    from django.conf import settings

    args = command("beat")
    assert args[:4] == ["celery", "-A", "config", "beat"]
    scheduler_path = args[args.index("--scheduler") + 1]
    scheduler = symbol_by_name(scheduler_path)
    assert issubclass(scheduler, Scheduler)
    assert scheduler_path == settings.CELERY_BEAT_SCHEDULER


def test_worker_command_runs_a_worker() -> None:
    assert command("worker")[:4] == ["celery", "-A", "config", "worker"]
    assert healthcheck_argv("worker")[:5] == ["celery", "-A", "config", "inspect", "ping"]


def test_celery_commands_use_only_options_celery_accepts() -> None:
    """click rejects an unknown option before it shows --help, so this checks every option."""
    env = {**environment("worker"), "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
    for label, args in project_commands().items():
        if args[0] != "celery":
            continue
        result = subprocess.run(
            [*native(args), "--help"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, f"{label}: {result.stderr}"


def test_manage_py_subcommands_exist() -> None:
    from django.core.management import get_commands

    lines = [*project_commands().values()]
    lines += [shlex.split(step) for step in dockerfile_run_steps() if "manage.py" in step]
    used = {args[args.index("manage.py") + 1] for args in lines if "manage.py" in args}
    assert {"migrate", "collectstatic"} <= used
    assert used <= set(get_commands()), used - set(get_commands())


def test_scripts_the_deployment_files_name_exist() -> None:
    entrypoints = [
        argv(d["entrypoint"]) for d in compose()["services"].values() if "entrypoint" in d
    ]
    entrypoints += [argv(json.loads(a)) for a in dockerfile("ENTRYPOINT")]
    for args in entrypoints:
        path = ROOT / args[0].removeprefix("/app/")
        assert path.is_file(), f"entrypoint {args[0]} is not in the repository"
        assert path.stat().st_mode & stat.S_IXUSR, f"entrypoint {args[0]} is not executable"
    scripts = {
        arg
        for args in project_commands().values()
        for arg in args
        if arg.endswith((".py", ".sh")) or arg.startswith("./")
    }
    assert scripts, "the healthchecks run docker/healthcheck.py"
    for script in scripts:
        path = ROOT / script
        assert path.is_file(), f"{script} is not in the repository"
        if path.parent != ROOT:  # manage.py is run with python; our own scripts are executable
            assert path.stat().st_mode & stat.S_IXUSR, f"{script} is not executable"


# --- Dockerfile -------------------------------------------------------------------------------


def test_dockerfile_builds_from_python_311_slim_bookworm() -> None:
    assert dockerfile("FROM") == ["python:3.11-slim-bookworm"]


def test_dockerfile_copies_only_files_that_exist() -> None:
    copies = dockerfile("COPY")
    assert copies
    for arguments in copies:
        parts = argv(json.loads(arguments) if arguments.startswith("[") else arguments)
        sources = [p for p in parts if not p.startswith("--")][:-1]
        assert sources, arguments
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


def test_dockerfile_installs_weasyprint_libraries_and_the_project() -> None:
    apt_steps = [shlex.split(step) for step in dockerfile_run_steps() if "apt-get install" in step]
    assert len(apt_steps) == 1
    assert set(apt_steps[0]) >= WEASYPRINT_PACKAGES
    assert "--no-install-recommends" in apt_steps[0]
    assert "pip install ." in dockerfile_run_steps()


def test_dockerfile_runs_as_a_user_other_than_root() -> None:
    users = dockerfile("USER")
    assert users, "the Dockerfile never leaves root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_dockerfile_default_command_is_the_web_command() -> None:
    (cmd,) = dockerfile("CMD")
    assert json.loads(cmd) == command("web")


def test_dockerfile_collectstatic_step_works_with_its_build_only_settings(tmp_path: Path) -> None:
    """The RUN step collects static files with no real key and no database, as in a build."""
    (step,) = [step for step in dockerfile_run_steps() if "collectstatic" in step]
    static_root = tmp_path / "static"
    env = {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "DJANGO_STATIC_ROOT": str(static_root),
    }
    result = subprocess.run(
        ["sh", "-c", step], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert (static_root / "css" / "site.css").is_file()
    assert (static_root / "admin" / "css" / "base.css").is_file()


# --- Running it -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_web_command_serves_the_site_with_gunicorn(tmp_path: Path) -> None:
    """The web service's exact gunicorn command line, bound to 127.0.0.1, on the test database.

    Its environment is the one docker-compose.yml gives web, so HTTPS redirects are on: requests
    carry X-Forwarded-Proto as the TLS-terminating reverse proxy would send them.
    """
    args = command("web")
    port = free_port()
    bind = args.index("--bind") + 1
    args[bind] = f"127.0.0.1:{port}"
    static_root = tmp_path / "static"
    env = native_environment("web", DJANGO_STATIC_ROOT=str(static_root))
    (collect,) = [step for step in dockerfile_run_steps() if "collectstatic" in step]
    collected = subprocess.run(
        ["sh", "-c", collect], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert collected.returncode == 0, collected.stderr
    healthcheck = [*native(healthcheck_argv("web")), f"http://127.0.0.1:{port}/health/"]
    log_path = tmp_path / "gunicorn.log"

    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), *args[1:]],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, f"gunicorn exited:\n{log_path.read_text()}"
                try:
                    status, _, body = fetch(port, "/health/")
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"no answer:\n{log_path.read_text()}"
                    time.sleep(0.2)

            assert status == 200, log_path.read_text()
            assert json.loads(body) == {"database": "ok"}

            status, _, body = fetch(port, "/accounts/login/")
            assert status == 200
            assert b'name="password"' in body

            # The page links its stylesheet under a content-hashed name that gunicorn serves.
            match = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', body)
            assert match, body[:2000]
            status, headers, css = fetch(port, match.group(1).decode())
            assert status == 200
            assert headers["Content-Type"].startswith("text/css")
            assert "max-age=315360000" in headers["Cache-Control"]
            assert css == (ROOT / "static" / "css" / "site.css").read_bytes()

            status, _, _ = fetch(port, "/health/", host="attacker.example")
            assert status == 400

            # Without the proxy's header the request is plain http and is sent to https.
            status, headers, _ = fetch(port, "/health/", via_proxy=False)
            assert status == 301
            assert headers["Location"] == f"https://{PUBLIC_HOST}/health/"

            # The compose healthcheck passes although 127.0.0.1 is not an allowed host.
            result = subprocess.run(healthcheck, env=env, capture_output=True, timeout=30)
            assert result.returncode == 0, result.stderr

            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    output = log_path.read_text()
    assert "Using worker: gthread" in output
    assert output.count("Booting worker with pid") == 3
    # Django logs the refused Host header with its traceback; nothing else may fail.
    assert output.count("Traceback") == output.count("ERROR django.security.DisallowedHost")
    result = subprocess.run(healthcheck, env=env, capture_output=True, timeout=30)
    assert result.returncode == 1, "the healthcheck fails once gunicorn is gone"


@pytest.mark.django_db
def test_beat_healthcheck_checks_the_database_and_the_broker() -> None:
    args = native(healthcheck_argv("beat"))
    # No REDIS_URL: Celery's in-memory broker, so only the database is really checked.
    env = native_environment("beat")
    del env["REDIS_URL"]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr

    closed_port = free_port()
    broken = {
        "REDIS_URL": f"redis://127.0.0.1:{closed_port}/0",
        "DATABASE_URL": "postgres://nobody@/nothing?host=/nonexistent-socket-directory",
    }
    for key, value in broken.items():
        result = subprocess.run(
            args, cwd=ROOT, env={**env, key: value}, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 1, f"{key}={value}: {result.stderr}"
        assert "unhealthy" in result.stderr


@pytest.mark.django_db
def test_celery_loads_the_project_app_and_its_django_settings() -> None:
    env = {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_tests(),
    }
    result = subprocess.run(
        [str(VENV_BIN / "celery"), "-A", "config", "report"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "CELERY_BEAT_SCHEDULER: 'django_celery_beat.schedulers:DatabaseScheduler'" in (
        result.stdout
    )
