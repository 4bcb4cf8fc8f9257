#!/usr/bin/env bash
# The long fuzzing run: schemathesis against the API's own OpenAPI schema, authenticated as staff
# and anonymously (with a tight drops throttle, so the 429 paths are fuzzed too), many examples per
# operation (make test runs the same tests with 8 and 3); then the Hypothesis boundary-value
# properties of osrs_diff/tests/test_input_properties.py with as many examples. Zero 5xx, every
# error in the one format and every staff answer as documented, or it fails.
# Usage: bench/fuzz.sh [examples per operation, default 300]
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-300}"
FUZZ_MAX_EXAMPLES="$examples" INPUT_PROPERTY_EXAMPLES="$examples" exec .venv/bin/pytest \
  -p no:cacheprovider -q osrs_diff/tests/test_schema_fuzz.py osrs_diff/tests/test_input_properties.py
