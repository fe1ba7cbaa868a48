# shellcheck shell=bash
# Sourced by build-vm-image.sh for a guest of another architecture (arm64 on this amd64 machine). Its userland
# cannot be the host's binaries, and ldd cannot run foreign ELF files: the guest packages and their library
# closure are fetched as ARCH .debs (dpkg multiarch, the same archive as the host's), unpacked into a sysroot, and
# each binary's libraries are found from its ELF headers (PT_INTERP, DT_NEEDED) with readelf.
# Expects: ARCH, MULTIARCH, DEBS, GUEST_PKGS, ROOT, log, die, apt_locked. Defines: fetch_sysroot, sr_copy_elf, sr_copy_file,
# sr_bin. SR is the sysroot.

# The guest packages plus every lib* (and zlib1g) package they depend on (recursively); maintainer-script helpers (perl,
# debconf, adduser) are not needed in a RAM root fs that is never dpkg-configured.
guest_closure() {
  local names
  names=$(printf '%s|' $GUEST_PKGS)
  # shellcheck disable=SC2046
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances $(printf "%s:$ARCH " $GUEST_PKGS) 2>/dev/null |
    grep -E "^(lib[^ ]*|zlib1g|${names%|}):$ARCH\$" | grep -v '^libperl' | sort -u
}

# Downloads what is missing into $DEBS/$ARCH (kept across builds) and unpacks the closure into SR.
fetch_sysroot() {
  local dir=$DEBS/$ARCH pkgs uris missing=() f
  SR=$1
  mkdir -p "$dir" "$SR"
  mapfile -t pkgs < <(guest_closure)
  ((${#pkgs[@]})) || die "apt knows no $ARCH packages (apt-get update after dpkg --add-architecture $ARCH?)"
  uris=$(apt-get download --print-uris "${pkgs[@]}" 2>/dev/null) || die "apt-get download --print-uris failed"
  while read -r _ f _; do [[ -e $dir/$f ]] || missing+=("$f"); done <<<"$uris"
  if ((${#missing[@]})); then
    log "downloading ${#missing[@]} $ARCH packages"
    (cd "$dir" && apt_locked apt-get download -q -o APT::Sandbox::User=root "${pkgs[@]}" >&2) ||
      die "apt-get download of the $ARCH userland failed"
  fi
  while read -r _ f _; do dpkg-deb -x "$dir/$f" "$SR"; done <<<"$uris"
}

# A guest path resolved inside SR: symlinks (relative or absolute) are followed within the sysroot.
sr_real() {
  local p=$1 t i
  for i in {1..16}; do
    [[ -L $SR$p ]] || break
    t=$(readlink "$SR$p")
    if [[ $t == /* ]]; then p=$t; else p=$(dirname "$p")/$t; fi
  done
  echo "$SR$p"
}

# Where the guest's dynamic loader would find a soname (multiarch dirs, merged /usr or not).
sr_find_lib() {
  local d
  for d in "/lib/$MULTIARCH" "/usr/lib/$MULTIARCH" /lib /usr/lib; do
    [[ -e $SR$d/$1 || -L $SR$d/$1 ]] && { echo "$d/$1"; return 0; }
  done
  return 1
}

sr_copy_file() { # guest path -> same path in ROOT
  [[ -e $ROOT$1 ]] && return 0
  mkdir -p "$ROOT$(dirname "$1")"
  cp "$(sr_real "$1")" "$ROOT$1"
}

# Copies the interpreter and the DT_NEEDED closure of the ELF file $1 (a sysroot path).
sr_copy_deps() {
  local f=$1 interp so g
  interp=$(readelf -lW "$f" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
  [[ -z $interp ]] || sr_copy_file "$interp"
  for so in $(readelf -dW "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
    g=$(sr_find_lib "$so") || die "$so (needed by ${f#"$SR"}) is in no $ARCH package fetched"
    [[ -e $ROOT$g ]] && continue
    sr_copy_file "$g"
    sr_copy_deps "$(sr_real "$g")"
  done
}

sr_copy_elf() { # guest path of a binary in SR, destination path in ROOT
  local src
  src=$(sr_real "$1")
  mkdir -p "$ROOT$(dirname "$2")"
  cp "$src" "$ROOT$2"
  sr_copy_deps "$src"
}

sr_bin() { # guest path of a command, as a PATH lookup in the sysroot would find it
  local d
  for d in /usr/sbin /usr/bin /sbin /bin; do [[ -e $SR$d/$1 ]] && { echo "$d/$1"; return 0; }; done
  die "no $1 in the $ARCH sysroot"
}
