"""Every command the README shows, and every command `make run` prints, works when pasted into
a new shell in the checkout.

The commands are read from README.md (its shell blocks and its inline commands) and from what
scripts/run prints, so a command added to either is tested or must be named below as one that
is not run, with the reason. They run in a copy of the checkout (the same files, its .venv
linked), after `make run`'s own setup (scripts/prepare, on the copy's SQLite database), each in
a new shell with a clean environment: nothing of this test suite's settings leaks into them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RUN_SCRIPT = ROOT / "scripts" / "run"

# What a command pasted from the README starts with. A bare `manage.py …` or `python manage.py
# …` is caught too, so that it fails below: neither works when pasted (no such program on the
# PATH; `python` is not the checkout's .venv).
_COMMAND = re.compile(
    r"^(?:[A-Z][A-Z0-9_]*=\S+\s+)*"
    r"(?:\.venv/bin/\S+|scripts/\S+|make\s+\S+|\.ci/\S+|celery\s|(?:python\S*\s+)?manage\.py\s+\S+)"
)
_NOT_PASTEABLE = re.compile(r"^(?:python\S*\s+)?manage\.py\s")

# Commands not run here, by name, and why: each runs until stopped or for many minutes, or
# is run against PostgreSQL by a test of its own.
NOT_RUN = {
    "make run": "starts the development server, which runs until stopped (its setup runs here)",
    "make test": "the whole test suite, of which this test is a part",
    ".ci/run": "is `make test`",
    "make bench": "every benchmark, about ten minutes",
    "BENCH_SCALE=0.1 make bench": "every benchmark",
    "make lint": "mypy over the whole tree takes minutes; `make test` runs the same checks",
    "make format": "rewrites the checkout's files",
}
NOT_RUN_PREFIXES = {
    "scripts/test ": "runs pytest: a suite inside the suite",
    "scripts/bench ": "a benchmark, minutes each on a throwaway PostgreSQL",
    "celery ": "a worker or beat, which runs until stopped",
    ".venv/bin/python manage.py generate_programme ": "five years of data, minutes to generate",
    "scripts/backup ": "needs PostgreSQL; tests/test_backup.py runs it",
    "scripts/restore ": "needs PostgreSQL; tests/test_backup.py runs it",
}
# Run after every other command: it deletes the demo records the others use.
LAST = (".venv/bin/python manage.py remove_demo",)
# What each run command must print (on stdout or stderr) besides exiting 0.
EXPECT = {
    ".venv/bin/python manage.py demo_totp": re.compile(r"\b\d{6}\b"),
    "scripts/audit": re.compile(r"^pip-audit: (Audited|PARTLY UNAUDITED|UNAUDITED)", re.M),
}
# Every app of the project (whatever apps are added), and what they need around them.
_COPIED = (
    "config",
    *sorted(
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == ROOT
    ),
    "templates",
    "static",
    "locale",
    "scripts",
    "docs",
)


def _unique(commands: list[str]) -> list[str]:
    return list(dict.fromkeys(commands))


def readme_commands() -> list[str]:
    """The README's shell blocks, line by line (comments dropped), and its inline commands."""
    text = README.read_text(encoding="utf-8")
    commands = []
    for language, block in re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M):
        if language not in ("", "sh", "bash", "shell", "console"):
            continue
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line:
                commands.append(line)
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    commands += [span.strip() for span in re.findall(r"`([^`\n]+)`", prose) if _COMMAND.match(span)]
    return _unique(commands)


def printed_commands(printed: str) -> list[str]:
    """Commands in what a script printed, such as "or print the code now: .venv/bin/…"."""
    found = []
    for line in printed.splitlines():
        match = re.search(r"(?:^|\s)((?:\.venv/bin/|scripts/|make\s)\S.*?)\s*$", line)
        if match:
            found.append(match.group(1))
    return _unique(found)


def _skip_reason(command: str) -> str | None:
    if command in NOT_RUN:
        return NOT_RUN[command]
    for prefix, reason in NOT_RUN_PREFIXES.items():
        if command.startswith(prefix):
            return reason
    return None


def test_the_readme_shows_no_command_that_cannot_be_pasted() -> None:
    bad = [c for c in readme_commands() if _NOT_PASTEABLE.match(c) or re.search(r"[\[\]…<>]", c)]
    assert bad == [], "write these as .venv/bin/python manage.py …, with no placeholders"


def test_commands_are_found_in_the_readme_and_in_what_make_run_prints() -> None:
    commands = readme_commands()
    for expected in (
        "make run",
        ".venv/bin/python manage.py demo_totp",
        ".venv/bin/python manage.py seed_programme --overwrite",
        "celery -A config worker -l info",
    ):
        assert expected in commands
    printed = "    or print the code now: .venv/bin/python manage.py demo_totp\n  Stop it."
    assert printed_commands(printed) == [".venv/bin/python manage.py demo_totp"]


def _clean_environment(home: Path) -> dict[str, str]:
    """What a new login shell has: a PATH, a home and a locale; none of the suite's settings."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}


def _shell(
    command: str, checkout: Path, env: dict[str, str], timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of this checkout's files with its .venv, prepared as `make run` prepares it."""
    copy = tmp_path_factory.mktemp("readme") / "checkout"
    copy.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in _COPIED:
        shutil.copytree(ROOT / name, copy / name, ignore=ignore, symlinks=True)
    for name in ("manage.py", "pyproject.toml", "README.md", "Makefile"):
        shutil.copy2(ROOT / name, copy / name)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    yield copy


def test_every_readme_and_make_run_command_works_in_a_new_shell(checkout: Path) -> None:
    home = checkout.parent / "home"
    home.mkdir(exist_ok=True)
    env = _clean_environment(home)
    # make run's setup, as scripts/run calls it, in a shell that sets nothing.
    prepared = _shell("scripts/prepare", checkout, env, timeout=600)
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    # What scripts/run prints before it starts the server, rendered as it renders it.
    script = RUN_SCRIPT.read_text(encoding="utf-8")
    heredoc = re.search(r"^cat <<INFO\n.*?^INFO$", script, flags=re.S | re.M)
    assert heredoc, "scripts/run no longer prints its logins with cat <<INFO"
    rendered = _shell(
        f"py=.venv/bin/python HOST=127.0.0.1 PORT=8000 DJANGO_DEBUG=true\n{heredoc.group(0)}",
        checkout,
        env,
    )
    assert rendered.returncode == 0, rendered.stderr
    printed = printed_commands(rendered.stdout)
    assert ".venv/bin/python manage.py demo_totp" in printed

    commands = _unique(readme_commands() + printed)
    to_run = [c for c in commands if _skip_reason(c) is None]
    to_run = [c for c in to_run if c not in LAST] + [c for c in LAST if c in to_run]
    assert "scripts/prepare" in to_run and LAST[0] in to_run
    failures = []
    for command in to_run:
        result = _shell(command, checkout, env)
        output = result.stdout + result.stderr
        expected = EXPECT.get(command)
        if result.returncode != 0 or (expected is not None and not expected.search(output)):
            failures.append(f"$ {command}\n(exit {result.returncode})\n{output[-2000:]}")
    assert failures == [], "\n\n".join(failures)


def test_a_deployment_environment_never_takes_the_development_file(tmp_path: Path) -> None:
    """manage.py reads var/development.env only where the environment says nothing itself, and
    only DJANGO_DEBUG from it: a production shell (its own key or database) keeps its settings."""
    import manage

    env_file = tmp_path / "development.env"
    env_file.write_text("DJANGO_DEBUG=true\nDJANGO_SECRET_KEY=from-the-file\n")
    saved = dict(os.environ)
    try:
        for name in manage.SELF_CONFIGURED:
            os.environ.pop(name, None)
        manage.development_environment(env_file)
        assert os.environ.get("DJANGO_DEBUG") == "true"
        assert "DJANGO_SECRET_KEY" not in os.environ
        for name in ("DJANGO_SECRET_KEY", "DATABASE_URL"):
            os.environ.pop("DJANGO_DEBUG", None)
            os.environ[name] = "set-by-the-deployment"
            manage.development_environment(env_file)
            assert "DJANGO_DEBUG" not in os.environ, name
            os.environ.pop(name)
    finally:
        os.environ.clear()
        os.environ.update(saved)
