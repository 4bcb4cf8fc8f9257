#!/usr/bin/env bash
# The long fuzzing run: schemathesis against the API's own OpenAPI schema, authenticated as staff,
# many examples per operation (make test runs the same test with 8). Zero 5xx and every answer as
# documented, or it fails.  Usage: bench/fuzz.sh [examples per operation, default 300]
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_MAX_EXAMPLES="${1:-300}" exec .venv/bin/pytest -p no:cacheprovider -q \
  osrs_diff/tests/test_schema_fuzz.py
