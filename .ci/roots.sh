# SPDX-License-Identifier: LGPL-2.1-or-later
# Fresh Debian roots for CI, sourced by .ci/run; usable by hand too:
#   . .ci/roots.sh; root_make trixie /var/tmp/r; root_run /var/tmp/r 'cmd'; root_remove /var/tmp/r
#
# A root gets /proc, /sys (PoCL 6 sizes its device from it) and /dev mounted
# while a command runs in it, and they are unmounted right after.  root_remove
# refuses to delete a root that still has anything mounted below it, and
# deletes with --one-file-system besides: a recursive removal that walked into
# a bind-mounted /dev or /sys would delete the host's.

# The mount points below a root, deepest first.
root_mounts () {
  local dir
  dir=$(realpath -m "$1")
  awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}

root_mount () {
  local dir=$1
  mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
  if ! mountpoint -q "$dir/sys"; then
    mount --rbind /sys "$dir/sys"
    mount --make-rslave "$dir/sys"
  fi
  if ! mountpoint -q "$dir/dev"; then
    mount --rbind /dev "$dir/dev"
    mount --make-rslave "$dir/dev"
  fi
  # ROOT_APT_CACHE: a host folder (one per suite) for the roots' .deb files,
  # so a second run downloads nothing
  if [ -n "${ROOT_APT_CACHE:-}" ] && ! mountpoint -q "$dir/var/cache/apt/archives"; then
    mkdir -p "$ROOT_APT_CACHE/$(root_suite "$dir")/partial" "$dir/var/cache/apt/archives"
    mount --bind "$ROOT_APT_CACHE/$(root_suite "$dir")" "$dir/var/cache/apt/archives"
  fi
}

# The root's Debian codename (bookworm, trixie).
root_suite () {
  (. "$1/etc/os-release" && echo "${VERSION_CODENAME:-unknown}")
}

root_umount () {
  local dir=$1 m
  for m in $(root_mounts "$dir"); do
    umount -R "$m" 2>/dev/null || umount -l "$m" || true
  done
  if [ -n "$(root_mounts "$dir")" ]; then
    echo "roots: still mounted below $dir:" $(root_mounts "$dir") >&2
    return 1
  fi
}

# root_make SUITE DIR: a minimal root (mmdebstrap --variant=apt plus
# ca-certificates and git).  The host's CA bundle (the one its npm trusts,
# which covers this network's registry proxy) is copied in as
# /usr/local/share/ci-host-ca.crt, as a fresh machine of this kind has it.
root_make () {
  local suite=$1 dir=$2 ca
  root_remove "$dir" || return 1
  mmdebstrap --variant=apt --include=ca-certificates,git \
    --aptopt='Acquire::Retries "3"' "$suite" "$dir" || return 1
  # keep downloaded packages: with ROOT_APT_CACHE they land in the host's cache
  echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' \
    > "$dir/etc/apt/apt.conf.d/99keep-debs"
  rm -f "$dir/etc/apt/apt.conf.d/docker-clean"
  ca=$(npm config get cafile 2>/dev/null || true)
  [ -n "$ca" ] && [ "$ca" != null ] && [ -f "$ca" ] || ca=${NODE_EXTRA_CA_CERTS:-}
  if [ -n "$ca" ] && [ -f "$ca" ]; then
    cp "$ca" "$dir/usr/local/share/ci-host-ca.crt"
  fi
  cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
}

# root_run DIR COMMAND: run COMMAND with bash as root inside DIR, with the
# mounts in place for its duration only.
root_run () {
  local dir=$1 rc=0
  shift
  root_mount "$dir"
  local -a env=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive CI="${CI:-}")
  if [ -f "$dir/usr/local/share/ci-host-ca.crt" ]; then
    env+=(NODE_EXTRA_CA_CERTS=/usr/local/share/ci-host-ca.crt
      npm_config_cafile=/usr/local/share/ci-host-ca.crt)
  fi
  chroot "$dir" /usr/bin/env -i "${env[@]}" /bin/bash -c "$*" || rc=$?
  root_umount "$dir" || return 1
  return "$rc"
}

root_remove () {
  local dir=$1
  [ -e "$dir" ] || return 0
  root_umount "$dir" || return 1
  if [ -n "$(root_mounts "$dir")" ]; then
    echo "roots: refusing to remove $dir: something is mounted below it" >&2
    return 1
  fi
  rm -rf --one-file-system "$dir"
}
