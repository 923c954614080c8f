#!/usr/bin/env bash
# MedLab under a real JupyterHub on 127.0.0.1: configurable-http-proxy from npm, two learners
# (DummyAuthenticator with a test password), one single-user JupyterLab each from the venv
# (SimpleLocalProcessSpawner, each its own HOME), driven in headless Chromium (Debian's
# package) by Playwright Test: see hub.spec.ts for what is checked. Exits non-zero on failure
# and then prints the hub's log (the learners' servers log there too).
#
#   tests/hub/run.sh                 # from the repository root (any cwd works)
#
# Environment: VENV (default .venv). Ports: free ones on 127.0.0.1, picked at start.
# Everything runs under time limits and is stopped at the end, whatever happens: the hub's
# process group, then any process left in a learner's home (tests/hub/processes.py).
# Artifacts (failure screenshots, the two learners' panels): tests/artifacts/hub/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"
HUB_START_TIMEOUT=60
PLAYWRIGHT_TIMEOUT=480
start=$(date +%s)
stamp() { echo "[hub] $(( $(date +%s) - start ))s: $*"; }

if ! "$PY" -c "import jupyterhub" 2>/dev/null; then
  echo "[hub] jupyterhub is not installed in $VENV: run 'make install' (it is in the dev extra)" >&2
  exit 1
fi
if [ ! -x /usr/bin/chromium ]; then
  stamp "installing Debian chromium"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# Build the labextension when missing or older than its sources (as tests/browser/run.sh).
LABEXT="$ROOT/medlab/labextension/package.json"
if [ ! -f "$LABEXT" ] || [ -n "$(find extension/src extension/style extension/package.json \
      extension/yarn.lock -newer "$LABEXT" 2>/dev/null | head -1)" ]; then
  stamp "building the labextension"
  (cd extension && jlpm install --immutable >/dev/null && jlpm build:prod >/dev/null)
fi

# The class configuration that docs/teaching.md shows must be the one tested here.
"$PY" - <<'EOF' || exit 1
import re
from pathlib import Path
tested = Path("tests/hub/class_config.py").read_text()
tested = tested[tested.index("c = get_config()"):].replace(
    "  # noqa: F821 - provided by traitlets when loading the file", "").strip()
shown = re.findall(r"```python\n(.*?)```", Path("docs/teaching.md").read_text(), re.DOTALL)
if not any(block.strip() == tested for block in shown):
    raise SystemExit("[hub] docs/teaching.md does not show tests/hub/class_config.py as it is")
EOF

cd tests/hub
LOCKSUM="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat node_modules/.medlab-lock 2>/dev/null)" != "$LOCKSUM" ]; then
  stamp "installing node test dependencies (npm ci: configurable-http-proxy, Playwright)"
  npm ci --no-audit --no-fund >/dev/null 2>&1 || npm ci --no-audit --no-fund
  echo "$LOCKSUM" > node_modules/.medlab-lock
fi

TMP="$(mktemp -d /tmp/medlab-hub.XXXXXX)"
HUB_PID=""
status=0
finish() {
  if [ -n "$HUB_PID" ]; then
    if [ "$status" -ne 0 ]; then
      echo "[hub] ---- the hub's log (last 300 lines) ----"
      tail -n 300 "$TMP/hub.log" || true
      echo "[hub] ---- end of the hub's log ----"
    else
      grep -E "MedLab server extension loaded|Culling kernels|User .* took .* seconds to start" \
        "$TMP/hub.log" | sed 's/^/[hub] log: /' || true
    fi
    "$PY" processes.py stop "$TMP" "$HUB_PID" || status=1
  fi
  rm -rf "$TMP"
  stamp "done (exit $status)"
  exit "$status"
}
trap 'status=$?; finish' EXIT
trap 'status=130; exit 130' INT TERM

read -r HUB_PORT HUB_API_PORT PROXY_API_PORT < <("$PY" - <<'EOF'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
EOF
)
export MEDLAB_HUB_TMP="$TMP" MEDLAB_HUB_PORT="$HUB_PORT" MEDLAB_HUB_API_PORT="$HUB_API_PORT"
export MEDLAB_HUB_PROXY_API_PORT="$PROXY_API_PORT"
export MEDLAB_HUB_PASSWORD="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(16))')"
export CONFIGPROXY_AUTH_TOKEN="$("$PY" -c 'import secrets; print(secrets.token_hex(32))')"
mkdir -p "$TMP/homes" "$TMP/class-data" "$ROOT/tests/artifacts/hub"
# No "get notified about news?" toast over the learners' screenshots.
for learner in ada ben; do
  settings="$TMP/homes/$learner/.jupyter/lab/user-settings/@jupyterlab/apputils-extension"
  mkdir -p "$settings"
  echo '{"fetchNews": "false"}' > "$settings/notification.jupyterlab-settings"
done

stamp "starting JupyterHub on 127.0.0.1:$HUB_PORT"
(cd "$TMP" && exec setsid "$VENV/bin/jupyterhub" -f "$ROOT/tests/hub/jupyterhub_config.py" \
   >"$TMP/hub.log" 2>&1) &
HUB_PID=$!
ready=0
for _ in $(seq 1 $(( HUB_START_TIMEOUT * 5 ))); do
  if ! kill -0 "$HUB_PID" 2>/dev/null; then
    echo "[hub] JupyterHub exited during start" >&2
    exit 1
  fi
  if "$PY" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
       "http://127.0.0.1:$HUB_PORT/hub/health" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.2
done
if [ "$ready" -ne 1 ]; then
  echo "[hub] JupyterHub did not answer within $HUB_START_TIMEOUT s" >&2
  exit 1
fi
if [ "$(ps -o pgid= -p "$HUB_PID" | tr -d ' ')" != "$HUB_PID" ]; then
  echo "[hub] JupyterHub does not lead its own process group" >&2
  exit 1
fi
stamp "JupyterHub is up; running Playwright"

PW_STATUS=0
timeout --kill-after=15 "$PLAYWRIGHT_TIMEOUT" npx playwright test --reporter=list "$@" \
  || PW_STATUS=$?
"$PY" processes.py memory "$TMP" "$HUB_PID" || true
if [ "$PW_STATUS" -eq 124 ] || [ "$PW_STATUS" -eq 137 ]; then
  echo "[hub] Playwright ran past $PLAYWRIGHT_TIMEOUT s and was stopped" >&2
fi
exit "$PW_STATUS"
