#!/usr/bin/env bash
# Makes sure a Docker engine answers (for `npm run test:images` and .ci/run): installs
# Debian's docker.io when there is no engine, and starts dockerd by hand (no systemd).
# The engine it starts has no bridge network and changes no iptables rules: every build
# and container of the image tests runs on the host's network (`--network host`), so no
# traffic goes to bridge addresses. An engine that already runs is used as it is.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io
fi
log=/var/log/aletheia-dockerd.log
echo "starting dockerd (log: $log)"
setsid dockerd --bridge=none --iptables=false --ip6tables=false >>"$log" 2>&1 </dev/null &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "dockerd did not answer within 60 s:" >&2
tail -20 "$log" >&2
exit 1
