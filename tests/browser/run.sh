#!/usr/bin/env bash
# MedLab browser tests: JupyterLab with the MedLab extensions, driven in real headless
# Chromium (Debian's package) by Playwright Test. Exits non-zero on failure.
#
#   tests/browser/run.sh            # from the repository root (any cwd works)
#   tests/browser/run.sh viewer     # only the spec files matching "viewer" (Playwright args)
#
# Environment: VENV (default .venv), MEDLAB_BROWSER_PORT (default 8899).
# Installs Chromium with apt-get if /usr/bin/chromium is missing (needs root), builds
# the labextension into medlab/labextension when its sources are newer, installs the
# node test dependencies from package-lock.json, and exposes the built labextension to
# JupyterLab through a temporary JUPYTER_PATH (the venv is not modified).
# Artifacts (screenshot, failure screenshots): tests/artifacts/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
export PATH="$VENV/bin:$PATH"
start=$(date +%s)
stamp() { echo "[browser] $(( $(date +%s) - start ))s: $*"; }

if [ ! -x /usr/bin/chromium ]; then
  stamp "installing Debian chromium"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# Build the labextension when missing or older than its sources.
LABEXT="$ROOT/medlab/labextension/package.json"
if [ ! -f "$LABEXT" ] || [ -n "$(find extension/src extension/style extension/package.json \
      extension/yarn.lock -newer "$LABEXT" 2>/dev/null | head -1)" ]; then
  stamp "building the labextension"
  (cd extension && jlpm install --immutable >/dev/null && jlpm build:prod >/dev/null)
fi

cd tests/browser
LOCKSUM="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat node_modules/.medlab-lock 2>/dev/null)" != "$LOCKSUM" ]; then
  stamp "installing node test dependencies (npm ci)"
  npm ci --no-audit --no-fund >/dev/null
  echo "$LOCKSUM" > node_modules/.medlab-lock
fi

TMPDIR_MEDLAB="$(mktemp -d)"
trap 'rm -rf "$TMPDIR_MEDLAB"' EXIT
export MEDLAB_BROWSER_TMP="$TMPDIR_MEDLAB"
mkdir -p "$TMPDIR_MEDLAB/workspace" "$TMPDIR_MEDLAB/jupyter/labextensions/@medlab"
ln -s "$ROOT/medlab/labextension" "$TMPDIR_MEDLAB/jupyter/labextensions/@medlab/labextension"
export JUPYTER_PATH="$TMPDIR_MEDLAB/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
export JUPYTER_CONFIG_DIR="$TMPDIR_MEDLAB/config"
export JUPYTER_RUNTIME_DIR="$TMPDIR_MEDLAB/runtime"
export MEDLAB_LESSONS_DIR="$TMPDIR_MEDLAB/lessons"
export MEDLAB_PROGRESS_DIR="$TMPDIR_MEDLAB/progress"
export MEDLAB_PYTHON="$PY"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
"$PY" make_lessons.py "$MEDLAB_LESSONS_DIR"
"$PY" make_scans.py "$TMPDIR_MEDLAB/workspace"
# No "get notified about news?" toast over the bottom right of the screenshots.
mkdir -p "$TMPDIR_MEDLAB/lab-settings/@jupyterlab/apputils-extension"
echo '{"fetchNews": "false"}' \
  > "$TMPDIR_MEDLAB/lab-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
mkdir -p "$ROOT/tests/artifacts"

stamp "running Playwright"
status=0
npx playwright test --reporter=list "$@" || status=$?
stamp "done (exit $status)"
exit $status
