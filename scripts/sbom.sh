#!/usr/bin/env bash
# Writes a CycloneDX SBOM of the installed dependency tree, build and test tools included, to
# <folder>/fraudmini.cdx.json (default folder var/sbom). npm builds it from node_modules and
# package-lock.json without the network, so it can be made where `npm audit` cannot reach its
# advisory service and audited elsewhere (docs/security-files.md). Run it after `npm ci`.
# Not `--omit dev`: npm drops production packages that a dev tool also depends on
# (fastify, several AWS SDK clients here; npm/cli#7909).
set -euo pipefail
out="$(realpath -m "${1:-var/sbom}")"
cd "$(dirname "$0")/.."
mkdir -p "$out"
# A failed run leaves no half-written SBOM behind.
npm sbom --sbom-format cyclonedx --sbom-type application > "$out/fraudmini.cdx.json.tmp"
mv "$out/fraudmini.cdx.json.tmp" "$out/fraudmini.cdx.json"
node -e '
  const file = process.argv[1];
  const bom = JSON.parse(require("fs").readFileSync(file, "utf8"));
  console.log(`SBOM: CycloneDX ${bom.specVersion}, ${bom.components.length} packages -> ${file}`);
' "$out/fraudmini.cdx.json"
