#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, the newest release that runs on Node 20) into
# .cache/code-server so test/vscode/runCodeServer.ts can run the extension's suite in a real VS Code.
# Its own postinstall downloads ripgrep from GitHub and refuses root, so the steps are done by hand,
# and the system's rg (Debian package ripgrep) stands in for the download: without it
# workspace.findFiles and glob workspaceContains activation fail with "spawn .../rg ENOENT".
# Idempotent: a marker written at the very end makes a second run instant; an interrupted install
# (no marker) is wiped and redone.
set -euo pipefail

VERSION=4.100.3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/.cache/code-server"
MARKER="$DIR/.installed-$VERSION"
VSCODE_DIR="$DIR/node_modules/code-server/lib/vscode"
RG_LINK="$VSCODE_DIR/node_modules/@vscode/ripgrep/bin/rg"

step() { echo "[install-code-server] $*"; }

# Outside the marker so an rg installed after code-server is still picked up.
link_ripgrep() {
  [[ -x "$RG_LINK" ]] && return
  if command -v rg >/dev/null; then
    step "linking $(command -v rg) as code-server's ripgrep"
    mkdir -p "$(dirname "$RG_LINK")"
    ln -sfn "$(command -v rg)" "$RG_LINK"
  else
    step "warning: no rg on PATH (apt-get install ripgrep): file search and findFiles will fail in code-server"
  fi
}

if [[ -f "$MARKER" ]]; then
  echo "code-server $VERSION already installed in $DIR"
  link_ripgrep
  exit 0
fi
start=$SECONDS

if [[ -e "$DIR" ]]; then
  step "removing incomplete install in $DIR"
  rm -rf "$DIR"
fi
mkdir -p "$DIR"
cd "$DIR"

step "npm init (private package.json so the install stays out of the project's)"
npm init -y >/dev/null

step "npm install --no-save --ignore-scripts code-server@$VERSION"
npm install --no-save --ignore-scripts --no-audit --no-fund "code-server@$VERSION"

# npm_config_yes lets install scripts that call `npx node-gyp` run without a prompt.
export npm_config_yes=true

step "npm rebuild argon2"
npm rebuild argon2

step "npm install --omit=dev --ignore-scripts in lib/vscode"
cd "$VSCODE_DIR"
npm install --omit=dev --ignore-scripts --no-audit --no-fund

step "npm rebuild node-pty @vscode/spdlog @parcel/watcher native-watchdog"
npm rebuild node-pty @vscode/spdlog @parcel/watcher native-watchdog

# VS Code's loader looks for node_modules.asar; code-server ships the plain folder.
step "linking node_modules.asar -> node_modules"
ln -sfn node_modules node_modules.asar

link_ripgrep
test -f "$DIR/node_modules/code-server/out/node/entry.js"
date -u +%Y-%m-%dT%H:%M:%SZ > "$MARKER"
step "done in $((SECONDS - start)) s: $DIR"
