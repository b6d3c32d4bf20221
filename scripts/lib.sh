# Shared helpers for the run and test scripts. Source it; do not run it.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"

say() { printf '==> %s\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# need_debian_packages CMD:PACKAGE ... — install the packages whose command is missing.
need_debian_packages() {
  local missing=() pair cmd pkg
  for pair in "$@"; do
    cmd=${pair%%:*}; pkg=${pair#*:}
    if [[ $cmd == /* ]]; then [[ -e $cmd ]] && continue; else command -v "$cmd" >/dev/null 2>&1 && continue; fi
    missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    die "missing system packages: ${missing[*]}. Install them (sudo apt-get install ${missing[*]}) and run again."
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing system packages (${missing[*]}) and no apt-get to install them."
  say "Installing system packages: ${missing[*]}"
  if [[ ! -f /var/lib/apt/.antitrafficking-updated ]] || ! apt-cache policy "${missing[0]}" 2>/dev/null | grep -q Candidate; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || die "apt-get update failed: cannot reach the package archive."
    touch /var/lib/apt/.antitrafficking-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get could not install: ${missing[*]}"
}

# python_env EXTRAS — make .venv and install the project's packages when pyproject.toml changed.
python_env() {
  local extras=$1 python=${PYTHON:-python3.11} stamp
  command -v "$python" >/dev/null 2>&1 || die "Python 3.11 ($python) is needed and was not found."
  "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || die "$python is not Python 3.11."
  if [[ ! -x $VENV/bin/python ]]; then
    say "Creating the virtual environment in .venv"
    "$python" -m venv "$VENV" || die "could not create .venv (is the venv module installed?)"
  fi
  stamp="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)-${extras:-base}"
  if [[ ! -f $stamp ]]; then
    say "Installing Python packages from pyproject.toml${extras:+ (with $extras tools)}"
    "$VENV/bin/pip" install --disable-pip-version-check -q -e "$ROOT${extras:+[$extras]}" \
      || die "pip could not install the Python packages (see above)."
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
}

# start_postgres — a throwaway PostgreSQL on a unix socket; exports DATABASE_URL and PG_TMP.
# PostgreSQL refuses to run as root, so as root it runs as the 'postgres' system user.
start_postgres() {
  local bin run=()
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [[ -z $bin ]]; then
    need_debian_packages /usr/lib/postgresql:postgresql
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
  [[ -x $bin/initdb ]] || die "PostgreSQL server binaries were not found under /usr/lib/postgresql."
  PG_TMP=$(mktemp -d /tmp/antitrafficking-pg.XXXXXX)
  chmod 755 "$PG_TMP"
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$PG_TMP"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bin/initdb" -D "$PG_TMP/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
    >"$PG_TMP/initdb.log" 2>&1 || { cat "$PG_TMP/initdb.log"; die "initdb failed."; }
  "${run[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 start \
    -o "-k $PG_TMP -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null || { cat "$PG_TMP/server.log"; die "PostgreSQL did not start."; }
  PG_STOP=("${run[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -m immediate stop)
  export DATABASE_URL="postgres://postgres@/postgres?host=$PG_TMP"
  export PG_TMP
  say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') started on unix socket $PG_TMP"
}

stop_postgres() {
  [[ -n ${PG_TMP:-} ]] || return 0
  "${PG_STOP[@]}" >/dev/null 2>&1 || true
  rm -rf "$PG_TMP"
}

# start_redis — a throwaway Redis on a loopback port, data in a temporary directory, nothing
# kept on disk; exports TEST_REDIS_URL and REDIS_TMP. The job tests run Celery workers on it.
start_redis() {
  local port
  need_debian_packages redis-server:redis-server
  REDIS_TMP=$(mktemp -d /tmp/antitrafficking-redis.XXXXXX)
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --bind 127.0.0.1 --port "$port" --dir "$REDIS_TMP" --save '' --appendonly no \
    --daemonize yes --pidfile "$REDIS_TMP/redis.pid" --logfile "$REDIS_TMP/redis.log" \
    --maxmemory-policy noeviction >/dev/null || die "redis-server did not start."
  for _ in $(seq 50); do
    redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 \
    || { cat "$REDIS_TMP/redis.log"; die "Redis did not answer on port $port."; }
  export TEST_REDIS_URL="redis://127.0.0.1:$port/0"
  export REDIS_TMP
  say "Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) started on 127.0.0.1:$port"
}

stop_redis() {
  [[ -n ${REDIS_TMP:-} ]] || return 0
  if [[ -f $REDIS_TMP/redis.pid ]]; then
    kill "$(cat "$REDIS_TMP/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$REDIS_TMP"
}

# need_axe_core — axe-core (the accessibility rules engine the browser tests inject) from npm,
# unpacked once into .cache/; exports AXE_CORE_JS.
AXE_CORE_VERSION=4.14.1
need_axe_core() {
  local dir="$ROOT/.cache/axe-core-$AXE_CORE_VERSION" tmp
  if [[ ! -f $dir/axe.min.js ]]; then
    need_debian_packages npm:npm
    say "Fetching axe-core $AXE_CORE_VERSION from npm"
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "axe-core@$AXE_CORE_VERSION" >/dev/null) \
      || die "npm could not fetch axe-core $AXE_CORE_VERSION."
    mkdir -p "$dir"
    tar -xzf "$tmp"/axe-core-*.tgz -C "$tmp"
    cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$dir/"
    rm -rf "$tmp"
  fi
  export AXE_CORE_JS="$dir/axe.min.js"
}

# postgres_client_bin — the directory of pg_dump, pg_restore and psql (newest installed).
postgres_client_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [[ -n $bin && -x $bin/pg_dump ]]; then echo "$bin"; return; fi
  command -v pg_dump >/dev/null 2>&1 && { dirname "$(command -v pg_dump)"; return; }
  die "pg_dump was not found: install the PostgreSQL client (apt-get install postgresql-client)."
}

# libpq_url URL — Django's postgres:// URL in the form libpq tools accept (postgresql://).
libpq_url() { printf '%s' "${1/#postgres:\/\//postgresql://}"; }

# table_row_counts PG_BIN DATABASE_URL — "table count" lines for every table, sorted.
table_row_counts() {
  "$1/psql" "$(libpq_url "$2")" -XAtq -F ' ' -c "
    SELECT table_name,
           (xpath('/row/c/text()', query_to_xml(
              format('SELECT count(*) AS c FROM public.%I', table_name), false, true, '')))[1]::text
    FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
    ORDER BY table_name"
}
