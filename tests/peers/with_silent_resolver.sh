#!/bin/bash
# Runs a command whose name resolver never answers (or refuses, or fails, at once), so that resolution
# deadlines can be tested with no DNS query leaving the machine.
#
# Usage: with_silent_resolver.sh [--refused|--servfail] [--host "ADDR NAME..."]...
#                                [--hosts-file FILE] [--files-only] [--log FILE] [--]
#                                COMMAND [ARGS...]
#   (default)   /etc/resolv.conf names silent_dns.py, started here on a random 127.A.B.C:53:
#               every query goes unanswered, as with a name server that is down or firewalled.
#   --refused   /etc/resolv.conf names a random 127.A.B.C where nothing listens: every query
#               is refused at once (ICMP port unreachable), as when no resolver runs.
#   --servfail  /etc/resolv.conf names servfail_dns.py, started here: every query is answered
#               SERVFAIL at once, as by a server whose upstream is broken.
#   --host L    adds line L ("127.0.0.1 db.test") to the /etc/hosts COMMAND sees, after the
#               real file's lines: names that resolve without DNS. Repeatable.
#   --hosts-file FILE  FILE itself is /etc/hosts (instead of the real file's lines and --host),
#               bind-mounted, so a test can change it while COMMAND runs.
#   --files-only  nsswitch's hosts line becomes "files": no DNS at all, an unknown name is
#               "not found" at once.
#   --log FILE  silent_dns.py's output ("ready ADDR 53", then "query NAME" per query) goes there,
#               so a test can check that the resolver really was asked.
#
# COMMAND runs inside `unshare --mount` (needs root), where /etc/resolv.conf, /etc/hosts and
# /etc/nsswitch.conf are bind-mounted copies; nsswitch's hosts line becomes "files dns" so no
# other module (resolve, mdns, ...) can reach a real server, and nscd's socket directory is
# hidden so a caching daemon cannot answer either. Everything else, network included, is the
# machine's own: COMMAND still reaches the loopback servers a test started.
# Exits with COMMAND's exit code, or 125 when the setup itself fails. Used by the tcp, redis,
# http and dns integration tests.
set -u
PEERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's own python starts in a few ms; a version-manager shim can take 100 ms or more, all of
# it counted by tests that time the COMMAND.
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
mode=silent
log=
hosts_lines=()
hosts_file=
hosts_sources='files dns'
while [ $# -gt 0 ]; do
	case $1 in
	--refused) mode=refused; shift ;;
	--servfail) mode=servfail; shift ;;
	--hosts-file) hosts_file=$2; shift 2 ;;
	--files-only) hosts_sources=files; shift ;;
	--host) hosts_lines+=("$2"); shift 2 ;;
	--log) log=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "with_silent_resolver: unknown option $1" >&2; exit 125 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "with_silent_resolver: no command given" >&2; exit 125; }
[ "$(id -u)" -eq 0 ] || { echo "with_silent_resolver: needs root (unshare --mount)" >&2; exit 125; }

dir=$(mktemp -d /tmp/silent-resolver.XXXXXX) || exit 125
chmod 755 "$dir"
dns_pid=
cleanup() {
	if [ -n "$dns_pid" ]; then
		kill "$dns_pid" 2>/dev/null
		wait "$dns_pid" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

if [ "$mode" != refused ]; then
	[ -n "$log" ] || log=$dir/dns.log
	"$PYTHON" "$PEERS/${mode}_dns.py" >"$log" 2>"$dir/dns.err" &
	dns_pid=$!
	for _ in $(seq 500); do # 10 s: python starts slowly on a loaded machine
		grep -q '^ready' "$log" 2>/dev/null && break
		kill -0 "$dns_pid" 2>/dev/null || break
		sleep 0.02
	done
	read -r ready address _ <"$log"
	if [ "${ready:-}" != ready ]; then
		echo "with_silent_resolver: ${mode}_dns.py did not start" >&2
		cat "$dir/dns.err" >&2
		exit 125
	fi
else
	# Nothing is bound on this address: the kernel refuses each query at once.
	address="127.$((100 + RANDOM % 100)).$((RANDOM % 256)).$((1 + RANDOM % 254))"
fi

printf 'nameserver %s\n' "$address" >"$dir/resolv.conf"
if [ -n "$hosts_file" ]; then
	[ -f "$hosts_file" ] || { echo "with_silent_resolver: no file $hosts_file" >&2; exit 125; }
	hosts_file=$(realpath "$hosts_file")
else
	hosts_file=$dir/hosts
	cat /etc/hosts >"$hosts_file"
	for line in "${hosts_lines[@]}"; do printf '%s\n' "$line" >>"$hosts_file"; done
	chmod 644 "$hosts_file"
fi
if [ -r /etc/nsswitch.conf ]; then
	grep -v '^[[:space:]]*hosts:' /etc/nsswitch.conf >"$dir/nsswitch.conf"
fi
echo "hosts: $hosts_sources" >>"$dir/nsswitch.conf"
mkdir "$dir/empty"
chmod 644 "$dir/resolv.conf" "$dir/nsswitch.conf"

unshare --mount --propagation private -- /bin/sh -c '
	d=$1; h=$2; shift 2
	mount --bind "$d/resolv.conf" /etc/resolv.conf &&
	mount --bind "$h" /etc/hosts &&
	mount --bind "$d/nsswitch.conf" /etc/nsswitch.conf || exit 125
	for n in /run/nscd /var/run/nscd; do
		[ -d "$n" ] && ! [ -L "$n" ] && { mount --bind "$d/empty" "$n" || exit 125; }
	done
	exec "$@"' sh "$dir" "$hosts_file" "$@"
