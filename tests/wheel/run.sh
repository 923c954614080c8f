#!/usr/bin/env bash
# Build the medlab wheel, install it with plain `pip install` into a fresh virtual
# environment, and check that JupyterLab sees the prebuilt labextension and that the
# medlab.server extension is enabled. Exits non-zero on failure.
#
#   tests/wheel/run.sh          # from anywhere; VENV (default .venv) provides the build tools
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
export PATH="$VENV/bin:$PATH"
start=$(date +%s)
stamp() { echo "[wheel] $(( $(date +%s) - start ))s: $*"; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

# hatch-jupyter-builder reuses medlab/labextension when it exists (skip-if-exists):
# rebuild it here when the TypeScript sources are newer, so the wheel is never stale.
LABEXT="$ROOT/medlab/labextension/package.json"
if [ ! -f "$LABEXT" ] || [ -n "$(find extension/src extension/style extension/package.json \
      extension/yarn.lock -newer "$LABEXT" 2>/dev/null | head -1)" ]; then
  stamp "building the labextension"
  (cd extension && jlpm install --immutable >/dev/null && jlpm build:prod >/dev/null)
fi

stamp "building the wheel"
python -m build --wheel --no-isolation --outdir "$WORK/dist" . >"$WORK/build.log" 2>&1 \
  || { cat "$WORK/build.log"; exit 1; }
WHEEL="$(ls "$WORK"/dist/medlab-*.whl)"
echo "$WHEEL ($(du -h "$WHEEL" | cut -f1))"
CONTENTS="$(python -m zipfile -l "$WHEEL")"
for needed in "share/jupyter/labextensions/@medlab/labextension/package.json" \
              "etc/jupyter/jupyter_server_config.d/medlab.json" \
              "medlab/server/handlers.py" "medlab/_bundled/lessons/00_welcome.ipynb"; do
  grep -q "$needed" <<<"$CONTENTS" || { echo "FAIL: $needed missing from the wheel"; exit 1; }
done

stamp "installing the wheel into a fresh venv (plain pip install)"
python -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --no-compile --disable-pip-version-check "$WHEEL" \
  >"$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log"; exit 1; }

cd "$WORK"  # not the source tree: the installed package must be the one found
stamp "checking the extensions"
unset JUPYTER_PATH JUPYTER_CONFIG_DIR JUPYTER_CONFIG_PATH
nocolor() { sed 's/\x1b\[[0-9;]*m//g'; }
LAB="$("$WORK/venv/bin/jupyter" labextension list 2>&1 | nocolor)"
echo "$LAB"
grep -Eq "@medlab/labextension v[0-9.]+ enabled.*OK" <<<"$LAB" \
  || { echo "FAIL: @medlab/labextension is not listed as enabled and OK"; exit 1; }
SERVER="$("$WORK/venv/bin/jupyter" server extension list 2>&1 | nocolor)"
echo "$SERVER"
grep -Eq "medlab.server enabled" <<<"$SERVER" \
  || { echo "FAIL: medlab.server is not enabled"; exit 1; }
grep -Eq "medlab.server.* OK" <<<"$SERVER" \
  || { echo "FAIL: medlab.server does not validate"; exit 1; }
"$WORK/venv/bin/python" -c "import medlab.course, medlab.server; print('import OK')"
stamp "wheel test passed"
