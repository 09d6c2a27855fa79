#!/usr/bin/env bash
# The package as an engineer meets it: checks the .deb `make package` built (contents,
# control fields, desktop entry, lintian), installs it on this machine with apt-get,
# runs both installed binaries (`--version`, `switchyard-cli probe` against a simulated
# fleet service), opens the installed `switchyard` (the demo without a configuration,
# then the user's ~/.config/switchyard/switchyard.toml) until its window is seen, and
# removes the package again, whatever happened.
#
# Needs a display and a D-Bus session: `make test-package` runs it under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$HOME/.cache/switchyard-target}"
cargo="${CARGO:-cargo}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

read -r _ version _ commit < <("$target/release/switchyard-cli" --version)
commit="${commit%)}"
deb="$target/package/switchyard_${version}_$(dpkg --print-architecture).deb"
work="$(mktemp -d)"
pids=()

fail() {
  echo "test-package: FAIL: $*" >&2
  exit 1
}
step() { echo "test-package: $*"; }

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if dpkg -s switchyard >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get remove -y -q --purge switchyard >/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Waits up to $1 seconds for the command that follows to succeed; no fixed sleeps.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

[ -f "$deb" ] || fail "$deb is missing: run make package"
step "checking $deb"

# Contents: both binaries, the desktop entry, the icons, the licence and changelog.
contents="$(dpkg-deb -c "$deb" | awk '{sub("^\\./", "", $NF); print $NF}')"
expected=(
  usr/bin/switchyard
  usr/bin/switchyard-cli
  usr/share/applications/Switchyard.desktop
  usr/share/doc/switchyard/copyright
  usr/share/doc/switchyard/changelog.gz
)
for size in 16 32 48 64 128 256; do
  expected+=("usr/share/icons/hicolor/${size}x${size}/apps/switchyard.png")
done
for path in "${expected[@]}"; do
  grep -qxF "$path" <<<"$contents" || fail "the package lacks $path"
done

# Control fields: the workspace's version, a description, the runtime libraries.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = switchyard ] || fail "Package is $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version is $(field Version), the workspace's is $version"
[ -n "$(field Description)" ] || fail "no Description"
depends="$(field Depends)"
for lib in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1 libc6; do
  grep -qE "(^|, )$lib( |,|$)" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
if grep -qE -- '-dev( |,|$)' <<<"$depends"; then fail "Depends names a -dev package: $depends"; fi
# One file of the package's data, whether the archive names it ./usr/… or usr/….
extract() { dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards "*$1"; }
grep -q "^License: MIT" <(extract usr/share/doc/switchyard/copyright) ||
  fail "the copyright file does not carry the MIT licence"

# The desktop entry launches the binary with the icon, and names the window's class.
desktop="$(extract usr/share/applications/Switchyard.desktop)"
entry() { sed -n "s/^$1=//p" <<<"$desktop"; }
[ "$(entry Name)" = Switchyard ] || fail "desktop Name is $(entry Name)"
[ "$(entry Exec)" = switchyard ] || fail "desktop Exec is $(entry Exec)"
[ "$(entry Icon)" = switchyard ] || fail "desktop Icon is $(entry Icon)"
[ -n "$(entry Comment)" ] || fail "the desktop entry has no Comment"
[ -n "$(entry Categories)" ] || fail "the desktop entry has no Categories"
wm_class="$(entry StartupWMClass)"
[ -n "$wm_class" ] || fail "the desktop entry has no StartupWMClass"

# The .rpm beside it: both binaries, and the libraries it requires.
rpm="$(ls "$target/package/switchyard-${version}-"*.rpm)"
rpm_files="$(rpm -qpl "$rpm")"
for path in /usr/bin/switchyard /usr/bin/switchyard-cli /usr/share/applications/Switchyard.desktop; do
  grep -qxF "$path" <<<"$rpm_files" || fail "the rpm lacks $path"
done
rpm_requires="$(rpm -qp --requires "$rpm")"
for lib in libwebkit2gtk-4.1.so.0 libgtk-3.so.0 libayatana-appindicator3.so.1; do
  grep -qF "$lib" <<<"$rpm_requires" || fail "the rpm does not require $lib: $rpm_requires"
done

# lintian: errors fail the test; warnings are printed for the record.
step "lintian"
lintian --tag-display-limit 0 "$deb" | tee "$work/lintian.txt" || true
if grep -q '^E:' "$work/lintian.txt"; then fail "lintian reports errors"; fi

step "installing"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$deb" >"$work/apt.txt" 2>&1 ||
  { cat "$work/apt.txt"; fail "apt-get install failed"; }
[ "$(command -v switchyard)" = /usr/bin/switchyard ] || fail "switchyard is not /usr/bin/switchyard"
[ "$(command -v switchyard-cli)" = /usr/bin/switchyard-cli ] || fail "switchyard-cli is not /usr/bin/switchyard-cli"

want="$version (commit $commit)"
[ "$(/usr/bin/switchyard --version)" = "switchyard $want" ] ||
  fail "switchyard --version says $(/usr/bin/switchyard --version), not switchyard $want"
[ "$(/usr/bin/switchyard-cli --version)" = "switchyard-cli $want" ] ||
  fail "switchyard-cli --version says $(/usr/bin/switchyard-cli --version), not switchyard-cli $want"
step "both binaries report $want"

# The CLI probes a simulated service. The fleet prints its configuration, then serves.
"$cargo" run -q -p switchyard-fleet -- --print-config >"$work/fleet.toml" 2>"$work/fleet.log" &
pids+=($!)
fleet_ready() { grep -q '^profile = "health-contract"' "$work/fleet.toml"; }
wait_for 300 fleet_ready || { cat "$work/fleet.log"; fail "the fleet printed no configuration"; }
url="$(awk -F'"' '/^base_url = /{url=$2} /^profile = "health-contract"/{print url; exit}' "$work/fleet.toml")"
/usr/bin/switchyard-cli probe "$url" >"$work/probe.json" || { cat "$work/probe.json"; fail "probe $url failed"; }
grep -q '"profile": "health-contract"' "$work/probe.json" || { cat "$work/probe.json"; fail "probe did not detect health-contract"; }
step "switchyard-cli probe $url: reachable, health-contract"

# The window, as launched from the desktop: a fresh home, so the app finds no
# configuration and watches the demo; then the same home with a configuration.
home="$work/home"
mkdir -p "$home"
# The window whose name (not its WM_CLASS, also listed) ends in "Switchyard": the title
# is "Switchyard", or the fleet's worst news then "— Switchyard".
window_id() { xwininfo -root -tree | awk '/^ *0x[0-9a-f]+ "[^"]*Switchyard": /{print $1; exit}'; }
window_shown() { [ -n "$(window_id)" ]; }
window_gone() { [ -z "$(window_id)" ]; }
launch() { # $1: what; the database the launch must create; the app runs until cleanup
  env -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u SWITCHYARD_CONFIG HOME="$home" \
    /usr/bin/switchyard >"$work/app-$1.log" 2>&1 &
  pids+=($!)
  local started=$SECONDS
  wait_for 60 window_shown || { cat "$work/app-$1.log"; fail "no Switchyard window within 60 s ($1)"; }
  local id
  id="$(window_id)"
  xprop -id "$id" WM_CLASS | grep -qF "\"$wm_class\"" ||
    fail "the window's $(xprop -id "$id" WM_CLASS) does not match the desktop entry's StartupWMClass=$wm_class"
  wait_for 30 test -e "$2" || { cat "$work/app-$1.log"; fail "$2 was not created ($1)"; }
  step "$1: window $id seen after $((SECONDS - started)) s, WM_CLASS matches, history in ${2#"$home"/}"
  kill "${pids[-1]}"
  wait "${pids[-1]}" 2>/dev/null || true
  wait_for 30 window_gone || fail "the window outlived its process ($1)"
}
launch demo "$home/.local/share/switchyard/demo-history.db"
[ -d "$home/.local/share/switchyard/logs" ] || fail "no logs in ~/.local/share/switchyard/logs"

mkdir -p "$home/.config/switchyard"
cp "$work/fleet.toml" "$home/.config/switchyard/switchyard.toml"
launch "the user's configuration" "$home/.local/share/switchyard/history.db"

step "removing"
DEBIAN_FRONTEND=noninteractive $sudo apt-get remove -y -q --purge switchyard >/dev/null
[ ! -e /usr/bin/switchyard ] && [ ! -e /usr/bin/switchyard-cli ] || fail "the binaries outlived the package"
step "passed"
