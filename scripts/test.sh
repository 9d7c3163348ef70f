#!/usr/bin/env bash
# The whole test suite: system packages first, then every test project of the solution.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
dotnet test Builder.sln --nologo "$@"
