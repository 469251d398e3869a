#!/bin/sh
# Installs what `make bench` needs on Debian 12 (as root), or says the one command that does:
# the build (compiler, libcap), the libraries preflight loads (hiredis, libcurl) and the
# programs it is compared with (ss, redis-cli, curl) or runs as servers (redis-server, python3).
set -eu
PACKAGES="build-essential pkg-config libcap-dev libhiredis-dev libcurl4-openssl-dev \
redis-server redis-tools curl python3 iproute2"
missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "bench: missing packages:$missing" >&2
	echo "run: sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# redis-server's package starts a server on 6379 where systemd runs; the bench uses its own port.
apt-get install -y -qq --no-install-recommends $missing >/dev/null
