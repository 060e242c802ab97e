#!/usr/bin/env bash
# Validates compose.yaml and .gitlab-ci.yml against the official Compose and GitLab CI JSON
# schemas (vendored in check-jsonschema, from PyPI; installed once into target/). No Docker
# engine runs here, so this is how compose.yaml is checked.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/validate-venv
if [ ! -x "$venv/bin/check-jsonschema" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "check-jsonschema==0.39.0"
fi
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec compose.yaml
"$venv/bin/check-jsonschema" --builtin-schema vendor.gitlab-ci .gitlab-ci.yml
