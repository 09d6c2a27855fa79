#!/usr/bin/env bash
# Builds the Debian package from the release binaries `make app` already built, so the
# package, `make run` and the end-to-end tests share one optimized build (CI compiles the
# app once). Tauri's bundler (`cargo tauri bundle`, no downloads) lays out the binary, the
# desktop entry and the hicolor icons from src-tauri/tauri.conf.json; this script adds
# what depends on the build: `switchyard-cli`, Debian's copyright file and changelog,
# and `Depends` computed by dpkg-shlibdeps from the libraries both binaries link.
#
# Writes $CARGO_TARGET_DIR/package/switchyard_<version>_<arch>.deb, and an .rpm beside it
# (the bundler makes one without downloads too; it requires the same three libraries),
# and prints their paths.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchyard-target}"
target="$CARGO_TARGET_DIR"
release="$target/release"
out="$target/package"
staging="$target/package-staging"

for bin in switchyard switchyard-cli; do
  if [ ! -x "$release/$bin" ]; then
    echo "package: $release/$bin is not built; run \`make package\` (it builds it)" >&2
    exit 2
  fi
done

# What the binaries say they are, e.g. `switchyard-cli 0.1.0 (commit e283f24)`.
read -r _ version _ commit < <("$release/switchyard-cli" --version)
commit="${commit%)}"
arch="$(dpkg --print-architecture)"
maintainer="$(sed -n 's/^ *"publisher": "\(.*\)",$/\1/p' src-tauri/tauri.conf.json)"
# The changelog's date: the commit's, so the same commit packs the same changelog.
date="$(git log -1 --format=%cD 2>/dev/null || date -R)"

rm -rf "$staging"
mkdir -p "$staging/shlibs/debian" "$out"

# Debian's machine-readable copyright file, around the workspace's MIT licence.
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: switchyard"
  echo
  echo "Files: *"
  echo "Copyright: $(sed -n 's/^Copyright (c) //p' LICENSE)"
  echo "License: MIT"
  sed -n '/^Permission/,$p' LICENSE | sed 's/^$/./; s/^/ /'
} >"$staging/copyright"

# A native package's changelog: one entry naming the commit; the history is git's.
{
  echo "switchyard ($version) unstable; urgency=medium"
  echo
  echo "  * Built from commit $commit."
  echo
  echo " -- $maintainer  $date"
} | gzip -9n >"$staging/changelog.gz"

# Depends: the packages holding every library the binaries link, with the versions
# their symbols need (libc6, GTK, WebKitGTK, libsoup, D-Bus, …). The bundler adds the
# appindicator library the tray loads at run time, which no linker records.
printf 'Source: switchyard\n\nPackage: switchyard\nArchitecture: any\n' >"$staging/shlibs/debian/control"
shlibs="$(cd "$staging/shlibs" && dpkg-shlibdeps -O -e"$release/switchyard" -e"$release/switchyard-cli" 2>/dev/null)"
depends_json="$(sed 's/^shlibs:Depends=//; s/, /", "/g; s/^/"/; s/$/"/' <<<"$shlibs")"

cat >"$staging/bundle.json" <<EOF
{
  "bundle": {
    "linux": {
      "deb": {
        "depends": [$depends_json],
        "files": {
          "/usr/bin/switchyard-cli": "$release/switchyard-cli",
          "/usr/share/doc/switchyard/copyright": "$staging/copyright",
          "/usr/share/doc/switchyard/changelog.gz": "$staging/changelog.gz"
        }
      },
      "rpm": {
        "files": {
          "/usr/bin/switchyard-cli": "$release/switchyard-cli",
          "/usr/share/licenses/switchyard/LICENSE": "$PWD/LICENSE"
        }
      }
    }
  }
}
EOF

# --no-binary-patching: leave target/release/switchyard as built; it is the binary
# `make run` and the tests use, and the patch only serves Tauri's updater.
rm -rf "$release/bundle"
(cd src-tauri && cargo tauri bundle --ci --bundles deb,rpm --no-binary-patching --config "$staging/bundle.json")

# Debian's and Fedora's lower-case names for the packages.
deb="$out/switchyard_${version}_${arch}.deb"
mv "$release/bundle/deb/Switchyard_${version}_${arch}.deb" "$deb"
echo "package: $deb"
for built in "$release/bundle/rpm/Switchyard-${version}-"*.rpm; do
  rpm="$out/switchyard${built#"$release/bundle/rpm/Switchyard"}"
  mv "$built" "$rpm"
  echo "package: $rpm"
done
