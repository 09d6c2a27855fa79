#!/usr/bin/env bash
# Installs the Debian packages Switchyard needs to build the Tauri shell, reach the
# desktop keyring (libdbus, for the Secret Service) and run the end-to-end tests under Xvfb. Skips itself when everything is present,
# so `make run` and `make test` stay fast after the first time.
set -euo pipefail

packages=(
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  librsvg2-dev libayatana-appindicator3-dev build-essential pkg-config
  libdbus-1-dev
  xvfb xauth webkit2gtk-driver dbus-x11 imagemagick x11-apps x11-utils
  chromium fonts-dejavu-core   # the snapshot tests: headless rendering of the HTML; PNG chart labels
  dpkg-dev lintian rpm         # make package: Depends from dpkg-shlibdeps; the package test's checks
  prometheus prometheus-alertmanager victoria-metrics   # the engines' tests run the real ones on loopback
  dnsmasq                      # a real DNS server on loopback for the discovery tests
  gnome-keyring libglib2.0-bin # a Secret Service (and gdbus to await it): the first-run test keeps a typed secret in the keyring
)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing system packages: ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
