#!/usr/bin/env bash
# Make an older Debian suite's packages (e.g. bullseye's 5.10 kernels) visible to apt, for a lab VM image.
# Usage: apt-suite.sh SUITE
# Writes /etc/apt/sources.list.d/pktpath-lab-SUITE.sources, pins the suite below the host's own (priority 100:
# nothing on the host is ever upgraded or replaced from it, a package only it has stays installable), and
# refreshes that one source's lists when they are missing. Idempotent; runs as root.
set -euo pipefail

[[ $# -eq 1 && $1 =~ ^[a-z]+$ ]] || { echo "usage: $0 SUITE" >&2; exit 2; }
SUITE=$1
CACHE=${PKTPATH_LAB_CACHE:-$HOME/.cache/pktpath-lab}
SOURCES=/etc/apt/sources.list.d/pktpath-lab-$SUITE.sources
PREFS=/etc/apt/preferences.d/pktpath-lab-$SUITE
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
log() { printf '[lab-apt %s] %s\n' "$SUITE" "$*" >&2; }

[[ -r $KEYRING ]] || { log "ERROR: missing $KEYRING (debian-archive-keyring)"; exit 1; }
want_sources="# Written by pktpath's scripts/lab/apt-suite.sh: Debian $SUITE, for the lab's VM kernels.
Types: deb
URIs: http://deb.debian.org/debian
Suites: $SUITE
Components: main
Signed-By: $KEYRING"
want_prefs="# Written by pktpath's scripts/lab/apt-suite.sh: $SUITE never outranks the host's own suites.
Package: *
Pin: release n=$SUITE
Pin-Priority: 100"

changed=0
if [[ $(cat "$SOURCES" 2>/dev/null) != "$want_sources" ]]; then
  printf '%s\n' "$want_sources" >"$SOURCES" && changed=1
fi
[[ $(cat "$PREFS" 2>/dev/null) == "$want_prefs" ]] || printf '%s\n' "$want_prefs" >"$PREFS"

# The suite's lists are there once apt knows a package from it.
have_lists() { [[ $(apt-cache policy 2>/dev/null) =~ [\ ,]n=$SUITE, ]]; }
if ((changed)) || ! have_lists; then
  log "apt-get update (only $SOURCES)"
  mkdir -p "$CACHE/debs"
  # Only this source: the host's other lists stay as they are, and no other source is contacted.
  flock "$CACHE/debs/.apt.lock" apt-get update -qq \
    -o Dir::Etc::sourcelist="$SOURCES" -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 >&2
  have_lists || { log "ERROR: apt still knows no package from $SUITE"; exit 1; }
fi
