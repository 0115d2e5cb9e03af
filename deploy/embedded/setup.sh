#!/usr/bin/env bash
# Set-up of the embedded stack, idempotent and quick when already done (`make setup` runs it):
#   1. .venv with python3.11 (here, in shell: nothing else exists before it),
#   2. then `python -m devstack setup`: the packages (pip -c constraints.txt -e ..., only when a
#      pyproject.toml or constraints.txt changed), PostgreSQL (apt), Kafka's jars (Maven), secrets.
# Markers live in .stack/markers/. Needs no TTY and no stdin.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
venv="$root/.venv"
started=$(date +%s.%N)

elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}s')" "$1" "$(date +%s.%N)" 2>/dev/null || echo "?"; }

if ! "$venv/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
    py=$(command -v python3.11 || true)
    if [ -z "$py" ]; then
        echo "[setup] python3.11 not found: installing it with apt-get"
        [ "$(id -u)" = 0 ] || { echo "[setup] not root: install python3.11 and python3.11-venv first" >&2; exit 1; }
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3.11 python3.11-venv
        py=$(command -v python3.11)
    fi
    rm -rf "$venv"
    echo "[setup] creating .venv with $py"
    if ! "$py" -m venv "$venv" 2>/dev/null; then
        rm -rf "$venv"
        [ "$(id -u)" = 0 ] || { echo "[setup] python3.11 -m venv fails: install python3.11-venv" >&2; exit 1; }
        echo "[setup] python3.11 -m venv needs python3.11-venv: installing it"
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3.11-venv
        "$py" -m venv "$venv"
    fi
    echo "[setup] venv: created ($(elapsed "$started"))"
else
    echo "[setup] venv: present ($(elapsed "$started"))"
fi

# wrk, the HTTP load generator of bench/broker_routes.py (Debian's package), once. Not needed to run or
# test the platform: a failure to install it is said, and the set-up goes on.
if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        echo "[setup] wrk not found: installing it with apt-get (bench/broker_routes.py)"
        if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk; }; then
            echo "[setup] wrk could not be installed: bench/broker_routes.py will not run (apt-get install wrk)" >&2
        fi
    else
        echo "[setup] wrk not found and not root: bench/broker_routes.py needs it (apt-get install wrk)" >&2
    fi
fi

# The portals' browser assets: npm packages pinned by portals/package-lock.json (htmx and the
# FriendlyCaptcha widget, served by the portals themselves from static/vendor/; axe-core for the
# accessibility tests), installed again only when the lock file changes.
lock="$root/portals/package-lock.json"
if [ -f "$lock" ]; then
    want="$(sha256sum "$lock" | cut -d' ' -f1)"
    marker="$root/.stack/markers/portals-npm"
    vendor="$root/portals/src/portals/static/vendor"
    if [ "$(cat "$marker" 2>/dev/null)" != "$want" ] || [ ! -f "$vendor/htmx.min.js" ] || [ ! -f "$root/portals/node_modules/axe-core/axe.min.js" ]; then
        if ! command -v npm >/dev/null 2>&1; then
            [ "$(id -u)" = 0 ] || { echo "[setup] npm not found and not root: apt-get install npm" >&2; exit 1; }
            echo "[setup] npm not found: installing it with apt-get (the portals' assets)"
            DEBIAN_FRONTEND=noninteractive apt-get update -q
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm
        fi
        echo "[setup] portals: npm ci"
        (cd "$root/portals" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
        mkdir -p "$vendor" "$(dirname "$marker")"
        modules="$root/portals/node_modules"
        cp "$modules/htmx.org/dist/htmx.min.js" "$modules/friendly-challenge/widget.module.min.js" "$modules/friendly-challenge/widget.min.js" "$vendor/"
        echo "$want" > "$marker"
    fi
    echo "[setup] portals assets: present ($(elapsed "$started"))"
fi

# Debian's chromium, which the portals' browser tests drive with Playwright (a browser download
# cannot work here: Playwright is given /usr/bin/chromium), with its translations (chromium-l10n): the
# browser's own texts, such as a file field's « Choisir un fichier », in French as a French user sees them.
if [ ! -x /usr/bin/chromium ]; then
    [ "$(id -u)" = 0 ] || { echo "[setup] chromium not found and not root: apt-get install chromium chromium-l10n" >&2; exit 1; }
    echo "[setup] chromium not found: installing it with apt-get (the portals' browser tests)"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-l10n fonts-dejavu-core
elif [ ! -f /usr/lib/chromium/locales/fr.pak ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "[setup] chromium's French texts not found: installing chromium-l10n with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium-l10n \
            || echo "[setup] chromium-l10n could not be installed: the browser's own texts stay in English" >&2
    else
        echo "[setup] chromium's French texts not found and not root: apt-get install chromium-l10n" >&2
    fi
fi

# devstack runs from its source folder: it may not be installed in the venv yet.
PYTHONPATH="$root/deploy/embedded/src${PYTHONPATH:+:$PYTHONPATH}" \
    exec "$venv/bin/python" -m devstack --root "$root" setup
