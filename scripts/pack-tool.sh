#!/usr/bin/env bash
# Packs builder as a .NET tool into a folder feed (default ./artifacts/tool): the pointer package Builder.Cli, the native
# AOT executable for linux-x64 (Builder.Cli.linux-x64) and the framework-dependent build for everywhere else
# (Builder.Cli.any) — .NET 10's RID-specific tool packages, which need one `dotnet pack` each.
# Then: dotnet tool install --global --add-source DIR Builder.Cli
set -euo pipefail
cd "$(dirname "$0")/.."
feed=${1:-artifacts/tool}
mkdir -p "$feed"
dotnet pack src/Builder.Cli -c Release -o "$feed" -nologo -v q
dotnet pack src/Builder.Cli -c Release -r linux-x64 -o "$feed" -nologo -v q
dotnet pack src/Builder.Cli -c Release -r any -o "$feed" -nologo -v q
ls "$feed"
