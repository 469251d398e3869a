#!/bin/bash
# sysctl: every exit code on the real /proc/sys, compared with what sysctl -n prints; an
# interface with a dot in its name and a changed setting in a network namespace of their own
# (unshare --net); /proc/sys hidden by a proc mounted with subset=pid, as ProcSubset=pid does.
. "$(dirname "$0")/lib.sh"

# ---- usage: 2 ----
run_preflight sysctl; expect_code 2 "no expression"
run_preflight sysctl vm.max_map_count; expect_code 2 "a key without a comparison"
expect_text ERR "'vm.max_map_count' is not KEY=VALUE" "the argument is named"
run_preflight sysctl 'vm.max_map_count>1'; expect_code 2 "> is not a comparison"; expect_text ERR "the comparison is =, !=, >= or <=" "says which are"
run_preflight sysctl 'vm.max_map_count=>1'; expect_code 2 "=> is a slip"
run_preflight sysctl 'vm.max_map_count>=lots'; expect_code 2 ">= with text"; expect_text ERR "'vm.max_map_count>=lots': >= compares whole numbers" "names the argument"
run_preflight sysctl 'vm..max_map_count=1'; expect_code 2 "an empty part"
run_preflight sysctl 'net/ipv4/../../../etc/passwd=1'; expect_code 2 ".. in a key"
run_preflight sysctl 'vm max_map_count=1'; expect_code 2 "a blank in a key"
run_preflight sysctl "$(printf 'kernel.core_pattern=a\033[2J')"; expect_code 2 "an escape in a value"; expect_text ERR '\x1b' "shown escaped"
run_preflight sysctl 'vm.swappiness>=0' 'vm.swappiness>=x'; expect_code 2 "one bad expression among good ones"; expect_no_text ERR "ok " "nothing runs"
run_preflight sysctl vm.drop_caches=1; expect_code 2 "a write-only key"; expect_text ERR "cannot be read (mode 0200): an action, not a setting" "says it is an action"
run_preflight sysctl net.ipv4=1; expect_code 2 "a directory of keys"; expect_text ERR "a directory of settings" "says so"
run_preflight sysctl 'net.ipv4.ip_local_port_range>=1024'; expect_code 2 ">= on a key with two values"
expect_text ERR "not one number: >= compares one number" "says = compares the whole text"
run_preflight sysctl --help; expect_code 0 "--help"; expect_text OUT "ip_local_port_range" "--help shows a multi-value key"

# ---- real keys, compared with what sysctl -n prints ----
for key in vm.max_map_count net.core.somaxconn vm.overcommit_memory vm.swappiness kernel.pid_max fs.file-max kernel.osrelease net.ipv4.tcp_congestion_control net.ipv4.ip_local_port_range kernel.perf_event_paranoid; do
	value=$(sysctl -n "$key")
	run_preflight sysctl "$key=$value"; expect_code 0 "$key = '$value', as sysctl -n prints it"
	run_preflight sysctl "$key!=$value"; expect_code 32 "$key != its own value fails"
	if [[ "$value" =~ ^-?[0-9]{1,17}$ ]]; then # (shell arithmetic stops at 2^63)
		run_preflight sysctl "$key>=$value" "$key<=$value"; expect_code 0 "$key >= and <= its value"
		run_preflight sysctl "$key>=$((value + 1))"; expect_code 32 "$key >= one more fails"
		expect_text ERR "is $value, needs >= $((value + 1))" "says what it is and needs"
		expect_text ERR "fix: sysctl -w $key=$((value + 1))" "the fix is sysctl -w"
		expect_text ERR "'$key = $((value + 1))' in a file in /etc/sysctl.d/" "and a file in /etc/sysctl.d/ to keep it"
	fi
done
range=$(sysctl -n net.ipv4.ip_local_port_range)
low=${range%%[[:space:]]*}; high=${range##*[[:space:]]}
run_preflight sysctl "net.ipv4.ip_local_port_range=$low $high"; expect_code 0 "two values with one blank (the file has a tab)"
run_preflight sysctl "net.ipv4.ip_local_port_range=$(printf '%s\t \t%s ' "$low" "$high")"; expect_code 0 "runs of blanks and tabs compare equal"
run_preflight sysctl "net.ipv4.ip_local_port_range=$low $((high + 1))"; expect_code 32 "another range fails"
expect_text ERR "fix: sysctl -w 'net.ipv4.ip_local_port_range=$low $((high + 1))'" "the fix quotes a value with a blank"
run_preflight sysctl vm/max_map_count="$(sysctl -n vm.max_map_count)"; expect_code 0 "slashes instead of dots"

# ---- a missing key: 32 ----
run_preflight sysctl vm.no_such_setting=1 -v; expect_code 32 "a key this kernel lacks"
expect_text ERR "this kernel has no vm.no_such_setting (/proc/sys/vm/no_such_setting): a module not loaded?" "says so"
expect_text ERR "written with slashes" "--verbose tells how to write a name with a dot"

# ---- network namespaces: names with dots, and net.* read in the process's own ----
if ! unshare --net true 2>/dev/null; then
	skip_case "unshare --net is refused here"
else
	run_cmd unshare --net sh -c 'ip link add eth0.100 type veth peer name peer0 && exec "$0" sysctl net/ipv4/conf/eth0.100/forwarding=0 net/ipv4/conf/eth0.100/mtu\>=68 net.ipv4.conf.eth0.100.forwarding=0 -v' "$PREFLIGHT"
	expect_code 32 "eth0.100: with slashes it is found, with dots it is not"
	expect_text ERR "ok   sysctl net/ipv4/conf/eth0.100/forwarding=0 is 0" "the slashed key reads the interface's setting"
	expect_text ERR "this kernel has no net.ipv4.conf.eth0.100.forwarding (/proc/sys/net/ipv4/conf/eth0/100/forwarding)" "with dots each dot separates"
	host=$(sysctl -n net.core.somaxconn)
	other=$((host - 1))
	run_cmd unshare --net sh -c "sysctl -qw net.core.somaxconn=$other && exec \"\$0\" sysctl net.core.somaxconn=$other -v" "$PREFLIGHT"
	expect_code 0 "net.core.somaxconn set to $other in a new network namespace is read there"
	expect_text ERR "this process's own network namespace" "--verbose says net.* is per namespace"
	[ "$(sysctl -n net.core.somaxconn)" = "$host" ] && pass "the host's somaxconn is still $host" || fail "the host's somaxconn changed"
	run_preflight sysctl net.core.somaxconn=$other; expect_code 32 "and the host's namespace still has $host"
	expect_text ERR "(in the service's network namespace)" "the fix says where to set a net.* key"
fi

# ---- /proc/sys hidden, as ProcSubset=pid hides it ----
run_cmd unshare --mount sh -c 'mount -t proc -o subset=pid proc /proc && exec "$0" sysctl vm.max_map_count\>=1' "$PREFLIGHT"
expect_code 1 "/proc/sys hidden: preflight cannot tell"
expect_text ERR "cannot be read: /proc/sys is hidden from this process (ProcSubset=pid in the unit?)" "says /proc/sys is hidden and why"
expect_text ERR "remove ProcSubset=pid" "the fix names the setting"
run_cmd unshare --mount sh -c 'umount -l /proc && exec "$0" sysctl vm.max_map_count\>=1' "$PREFLIGHT"
expect_code 1 "no /proc at all"; expect_text ERR "/proc is not mounted" "says so"

# ---- as nobody ----
run_cmd as_nobody "$PREFLIGHT" sysctl "vm.max_map_count=$(sysctl -n vm.max_map_count)"; expect_code 0 "nobody reads a setting"
run_cmd as_nobody "$PREFLIGHT" sysctl kernel.cad_pid=1; expect_code 1 "nobody cannot read a root-only key"
expect_text ERR "readable by root only" "says so"

# ---- shared options ----
run_preflight sysctl vm.max_map_count\>=1 --json; expect_code 0 "--json"
expect_text OUT '"target":"vm.max_map_count>=1"' "JSON target is the expression"
run_preflight sysctl vm.max_map_count\>=1 --invert; expect_code 32 "--invert of a passing setting is 32"
run_preflight sysctl vm.no_such_setting=1 --wait -t 3s --json; expect_code 32 "--wait does not retry a setting"
expect_attempts -eq 1 "it answers at once"
run_cmd "$(dirname "$PREFLIGHT")/preflight-sysctl" vm.max_map_count\>=1; expect_code 0 "as preflight-sysctl"

finish
