# Shared set-up for .ci/demo (command 1), .ci/test (command 2) and .ci/run (CI).
# Idempotent: a second run installs nothing new and reuses the virtualenv and the database.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${FIELDAPP_VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# apt_install PKG...: install the Debian packages that are missing. As root, directly; with
# password-less sudo, through it; otherwise print the apt line to run and stop.
apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local apt=(apt-get)
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            apt=(sudo apt-get)
        else
            echo "Missing system packages. Run, then try again:" >&2
            echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
            exit 1
        fi
    fi
    say "installing ${missing[*]}"
    "${apt[@]}" update -qq
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "${missing[@]}" >/dev/null
}

# ensure_venv [EXTRA]: the project's virtualenv with fieldapp installed (editable), plus the
# optional-dependency group EXTRA. Reinstalls only when pyproject.toml changed.
ensure_venv() {
    local extra=${1:-}
    if ! "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
        echo "fieldapp needs Python 3.11 or newer as '$PYTHON' (set PYTHON=...)." >&2
        exit 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv --help >/dev/null 2>&1 || apt_install python3-venv
        say "creating virtualenv $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    local spec="." stamp
    [ -n "$extra" ] && spec=".[$extra]"
    stamp="$VENV/.fieldapp-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)-${extra:-base}"
    if [ ! -f "$stamp" ]; then
        say "installing fieldapp ${extra:+with $extra extras }into $VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        (cd "$ROOT" && "$VENV/bin/python" -m pip install -q -e "$spec")
        touch "$stamp"
    fi
}
