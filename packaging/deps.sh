#!/bin/sh
# Installs what building and testing preflight needs on Debian 12 (as root), or says the one
# command that does. Used by `make check` and `make demo`. clang and libclang-rt-dev (libFuzzer
# and the sanitizer runtimes: only a Recommends of clang) build the fuzzers of `make fuzz`;
# clang-format and cppcheck are `make lint`'s, valgrind `make valgrind`'s;
# libcurl3-gnutls gives the http check its second libcurl soname, which the tests load;
# mariadb-server and mariadb-client are the servers and client test_mysql.sh starts and uses,
# libmariadb-dev the header the mysql check's types come from (libmariadb3 it loads).
# postgresql-15 (initdb, pg_ctl, pg_basebackup) the servers test_postgres.sh starts, libpq-dev
# libpq-fe.h for the postgres check (libpq5 itself is loaded with dlopen()). libsystemd-dev:
# sd-bus.h and sd-journal.h for `preflight why` and --as-unit (libsystemd0 is loaded with dlopen()).
# acl (setfacl) for test_file.sh; libacl1-dev the header the file check's ACL types come from
# (libacl1 itself, which every Debian has, is loaded with dlopen()). debhelper builds the Debian
# source package (make deb), rpmlint checks the RPM (make package-check).
# prometheus (for promtool) and prometheus-node-exporter: test_prometheus.sh checks run
# --prometheus's textfile with `promtool check metrics` and reads it back through a
# node_exporter it starts on a loopback port of its own.
# zsh and fish: the shells test_completion.sh completes in.
set -eu
PACKAGES="build-essential pkg-config libcap-dev libhiredis-dev libcurl4-openssl-dev check \
redis-server redis-tools curl python3 iproute2 libcap2-bin util-linux openssl systemd procps \
lintian rpm rpmlint debhelper bash-completion man-db groff-base dpkg-dev fakeroot time strace clang libclang-rt-dev \
clang-format cppcheck valgrind libpcre2-dev libcurl3-gnutls \
mariadb-server mariadb-client libmariadb-dev libmariadb3 postgresql-15 postgresql-client-15 \
libpq-dev libsystemd-dev acl libacl1-dev prometheus prometheus-node-exporter zsh fish"
# icinga2-bin: the monitoring engine test_nagios.sh runs --format nagios from (a daemon of its
# own, in a directory of the test's). The package's own service is never used: where systemd runs
# and this script installed the package, it is stopped and disabled again below.
PACKAGES="$PACKAGES icinga2-bin"
missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "preflight: missing packages:$missing" >&2
	echo "run: sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# redis-server's, mariadb-server's, prometheus's and prometheus-node-exporter's packages start
# servers on 6379, 3306, 9090 and 9100 where systemd runs (where PID 1 is not systemd, or
# policy-rc.d refuses, none starts); tests start their own, on ports of their own, and neither
# use nor disturb those.
apt-get install -y -qq --no-install-recommends $missing >/dev/null
case " $missing " in
*" icinga2-bin "*)
	if [ -d /run/systemd/system ]; then
		systemctl disable --now icinga2.service >/dev/null 2>&1 || true
	fi
	;;
esac
