#!/usr/bin/env bash
# Set up everything dagster-lineage needs on a fresh machine: a virtualenv with the package and its
# extras, plus the system pieces the tests use (PostgreSQL binaries, Java for local Spark, Chromium
# for the browser tests: `playwright install` cannot download browsers here, the tests use Debian's).
# Idempotent: re-running with an unchanged pyproject.toml installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=.venv
STAMP="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"

need_root() { [ "$(id -u)" = 0 ] || command -v sudo >/dev/null; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  if command -v apt-get >/dev/null && need_root; then
    as_root apt-get update -qq >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "bootstrap: please install $* (no apt-get available)" >&2
  fi
}

if ! command -v java >/dev/null; then
  echo "bootstrap: installing Java 17 for local Spark"
  apt_install openjdk-17-jre-headless
fi
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "bootstrap: installing PostgreSQL server binaries for the storage tests"
  apt_install postgresql
fi

if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then
  echo "bootstrap: installing Chromium for the browser tests (Playwright drives the system browser)"
  apt_install chromium
fi

if [ ! -f "$STAMP" ]; then
  echo "bootstrap: creating $VENV and installing dagster-lineage with its extras (first run takes a few minutes)"
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip --version >/dev/null 2>&1 || "$VENV/bin/python" -m ensurepip >/dev/null
  "$VENV/bin/python" -m pip install -q --upgrade pip uv
  "$VENV/bin/python" -m uv pip install -q --python "$VENV/bin/python" -e ".[dev,duckdb,postgres,webserver,spark,airflow,openlineage]"
  rm -f "$VENV"/.installed-*
  touch "$STAMP"
fi
