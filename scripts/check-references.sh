#!/usr/bin/env bash
# The product cites only documents it contains: docs/contracts.md, docs/configuration.md
# and docs/architecture.md. The design notes it was built from (the contracts,
# interfaces and design notes kept outside the repository) are not part of it, so a citation of one of them, in a comment,
# `--help` text or generated binding, points a user at nothing. Fails listing each one.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tracked files and new ones not yet added (outside a git checkout, every file but build
# output and packages), without this script (which names them) and without files deleted
# from the work tree.
files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard -- . ':!scripts/check-references.sh'
  else
    find . \( -name .git -o -name node_modules -o -name target -o -name dist \) -prune \
      -o -type f ! -path ./scripts/check-references.sh -print0
  fi
}
found=$(files \
  | while IFS= read -r -d '' file; do [[ -f $file ]] && printf '%s\0' "$file"; done \
  | xargs -0 -r grep -n -I -E '(CONTRACTS|INTERFACES|DESIGN)[.]md' -- || true)
if [[ -n $found ]]; then
  echo "$found"
  echo "These cite documents the product does not contain; cite docs/contracts.md,"
  echo "docs/configuration.md or docs/architecture.md instead (see scripts/check-references.sh)."
  exit 1
fi
echo "references: no citation of a document outside the product"
