#!/usr/bin/env bash
# Run the checks and the test suite. LibreOffice and poppler (pdftoppm) are
# installed with apt when missing, because tests use them as a second
# spreadsheet engine; that step needs root or sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui poppler-utils >/dev/null
fi

python3 -m pip install --quiet -e '.[test]'
python3 -m ruff check ctimm_xl tests benchmarks
python3 -m ruff format --check ctimm_xl tests benchmarks
python3 -m pytest "$@"
