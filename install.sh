#!/usr/bin/env bash
# Install xlflow on Debian/Ubuntu: system packages (LibreOffice headless for recalculation
# and PDF rendering, its Python bridge, Thai fonts, PDF tools), then a virtual environment
# in .venv with xlflow, the add-in builder (the "addin" extra: `xlflow addin build`) and the
# test tools (the "test" extra). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
  python3 python3-venv python3-pip \
  libreoffice-calc-nogui python3-uno \
  fonts-thai-tlwg poppler-utils >/dev/null
PY="${PYTHON:-python3}"
"$PY" -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[addin,test]'
echo "xlflow installed: $(.venv/bin/xlflow --version)"
