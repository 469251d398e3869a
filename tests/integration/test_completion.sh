#!/bin/bash
# Completion for bash, zsh and fish, as `preflight completion SHELL` generates it from the
# binary's tables, driven in each real shell: bash through its completion function (COMP_WORDS,
# as bash-completion calls it), zsh with compinit in a pty with TAB typed (zsh_complete.py),
# fish with `complete -C`. Every option of every check's --help (and run's, why's) must be
# offered by each shell, so a new option cannot be left out.
#
# systemctl here is a test double ($WORK/bin/systemctl, below): unit names must come from a
# manager, and the test system may have none to ask.
. "$(dirname "$0")/lib.sh"

ZSH_COMPLETE="$TESTS_DIR/integration/zsh_complete.py"
BIN="$WORK/bin"
CHAINS="$WORK/chains"
mkdir -p "$BIN" "$CHAINS" "$WORK/zsh"
touch "$CHAINS/myapp.conf" "$CHAINS/other.conf"
ln -s "$PREFLIGHT" "$BIN/preflight"
for c in $("$PREFLIGHT" list | awk '{print $1}'); do ln -s preflight "$BIN/preflight-$c"; done
# The double: two loaded units and a template, as systemctl --plain --no-legend lists them.
cat >"$BIN/systemctl" <<'EOF'
#!/bin/sh
# Test double of systemctl for completion: unit names only (--type=service honoured).
case "$*" in
*list-units*) printf '%s\n' 'fake-app.service loaded active running Fake app' \
	'fake-db.socket loaded active listening Fake db socket' ;;
*list-unit-files*) printf '%s\n' 'fake-app.service enabled enabled' \
	'fake-tpl@.service static -' ;;
esac | case "$*" in *--type=service*) grep '\.service ' ;; *) cat ;; esac
EOF
chmod 755 "$BIN/systemctl"
export PATH="$BIN:$PATH" PREFLIGHT_CONFIG_DIR="$CHAINS"

# ---- the command -------------------------------------------------------------------------------
for s in bash zsh fish; do
	run_preflight completion "$s"; expect_code 0 "completion $s"
	[ -n "$OUT" ] && [ -z "$ERR" ] && pass "completion $s prints a script, nothing on stderr" ||
		fail "completion $s: stdout ${#OUT} bytes, stderr '$ERR'"
done
"$PREFLIGHT" completion bash >"$WORK/preflight.bash"
"$PREFLIGHT" completion zsh >"$WORK/zsh/_preflight"
"$PREFLIGHT" completion fish >"$WORK/preflight.fish"
run_preflight --help
expect_no_text OUT completion "completion is hidden: not in --help"
run_preflight completion; expect_code 2 "completion without a shell"
expect_text ERR "needs a shell: bash, zsh or fish" "the shells are named"
run_preflight completion tcsh; expect_code 2 "completion tcsh"
expect_text ERR "'tcsh'" "the shell given is named"
run_preflight completion bash zsh; expect_code 2 "two shells"
expect_text ERR "'zsh'" "the second shell is named"
run_preflight completion bash
[ "$OUT" = "$(cat "$WORK/preflight.bash")" ] && pass "the script is the same each time" ||
	fail "two runs of completion bash differ"

# ---- bash ---------------------------------------------------------------------------------------
if [ -f /usr/share/bash-completion/bash_completion ]; then
	bash -n "$WORK/preflight.bash" && pass "bash: the script parses" || fail "bash -n"
	# bash_complete LINE: what bash completion offers at the end of LINE, one per line.
	bash_complete() {
		bash --norc --noprofile -c '
			. /usr/share/bash-completion/bash_completion
			. "$1"
			line=$2
			read -ra COMP_WORDS <<<"$line"
			[[ $line == *" " ]] && COMP_WORDS+=("")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMP_LINE=$line
			COMP_POINT=${#line}
			_preflight "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
			printf "%s\n" "${COMPREPLY[@]}"' _ "$WORK/preflight.bash" "$1" 2>/dev/null
	}
	bash_offers() { # LINE WORD...: each WORD is among the completions of LINE
		local line=$1 got w missing=
		shift
		got=$(bash_complete "$line")
		for w in "$@"; do printf '%s\n' "$got" | grep -qxF -- "$w" || missing="$missing $w"; done
		[ -z "$missing" ] && pass "bash: '$line' offers $*" ||
			fail "bash: '$line' lacks$missing; offered: $(echo "$got" | tr '\n' ' ' | cut -c1-300)"
	}
	bash_offers_only() { # LINE WORD...: exactly these
		local got want
		got=$(bash_complete "$1" | sort | tr '\n' ' ')
		want=$(shift; printf '%s\n' "$@" | sort | tr '\n' ' ')
		[ "$got" = "$want" ] && pass "bash: '$1' offers exactly $want" ||
			fail "bash: '$1' offers '$got', expected '$want'"
	}
	# shellcheck disable=SC2046 # one check a word
	bash_offers "preflight " $("$PREFLIGHT" list | awk '{print $1}') run list exit-codes explain why \
		--help --version
	got=$(bash_complete "preflight ")
	printf '%s\n' "$got" | grep -qx completion && fail "bash: the hidden command is offered" ||
		pass "bash: completion (hidden) is not offered"
	bash_offers_only "preflight fi" file
	bash_offers_only "preflight file /tmp --type " file dir socket fifo symlink block char
	bash_offers_only "preflight file /tmp --type=s" socket symlink
	bash_offers "preflight port 8080 --ti" --timeout
	bash_offers "preflight http --expect-st" --expect-status
	bash_offers "preflight user --not" --not-root
	bash_offers "preflight user --group roo" root
	bash_offers "preflight user roo" root
	bash_offers "preflight file /tmp --owner roo" root
	bash_offers "preflight file /tmp --owner root:roo" root:root
	bash_offers "preflight file /tmp --as roo" root
	bash_offers "preflight cap net_bind" net_bind_service
	bash_offers "preflight cap cap_net_b" cap_net_bind_service
	bash_offers "preflight cap --set amb" ambient
	bash_offers "preflight limit nof" "nofile>="
	bash_offers "preflight sysctl vm.max_map" vm.max_map_count
	bash_offers_only "preflight redis --role " master replica
	bash_offers_only "preflight mysql --role " primary replica
	bash_offers_only "preflight postgres --role " primary standby
	bash_offers_only "preflight postgres --sslmode verify" verify-ca verify-full
	bash_offers_only "preflight port 80 --format n" nagios
	bash_offers_only "preflight dns x --family " ipv4 ipv6 any
	bash_offers "preflight dns local" localhost
	bash_offers "preflight redis --password-file $TESTS_DIR/integration/test_comp" \
		"$TESTS_DIR/integration/test_completion.sh"
	bash_offers_only "preflight run " myapp other - 2>/dev/null
	bash_offers "preflight run my" myapp
	bash_offers "preflight run myapp --keep" --keep-going
	bash_offers "preflight run myapp --as" --as-unit
	bash_offers "preflight run myapp --dry" --dry-run
	bash_offers_only "preflight run myapp --as-unit fake-" fake-app.service
	bash_offers_only "preflight port 80 --as-unit fake-" fake-app.service
	bash_offers_only "preflight why fake-" fake-app.service fake-db.socket fake-tpl@.service
	bash_offers "preflight why --u" --user
	bash_offers "preflight explain 12" 120 121 122 123 126 127
	bash_offers "preflight user root -- slee" sleep
	bash_offers "preflight-port 80 --inv" --invert
	bash_offers "preflight-user --gr" --group
	bash_offers "preflight-user --group nog" nogroup
	got=$(bash_complete "preflight port --timeout ")
	printf '%s\n' "$got" | grep -qx -- 5s && ! printf '%s\n' "$got" | grep -q -- '^--' &&
		pass "bash: after --timeout come spans, not options" ||
		fail "bash: after --timeout: $(echo "$got" | tr "\n" " ")"
	bash_offers_only "preflight http --expect-header --"
	bash_offers_only "preflight list "
	bash_offers_only "preflight-nosuch --"
else
	skip_case "bash-completion is not installed (apt-get install bash-completion)"
fi

# ---- zsh ----------------------------------------------------------------------------------------
if command -v zsh >/dev/null; then
	zsh -n "$WORK/zsh/_preflight" && pass "zsh: the script parses" || fail "zsh -n"
	head -1 "$WORK/zsh/_preflight" | grep -q '^#compdef preflight preflight-user preflight-port ' &&
		pass "zsh: #compdef names preflight and the preflight-CHECK links" ||
		fail "zsh: the first line is $(head -1 "$WORK/zsh/_preflight")"
	zsh_complete() { python3 "$ZSH_COMPLETE" "$WORK/zsh" "$1" 2>&1; }
	zsh_lists() { # LINE TEXT...: after TAB, zsh lists (or puts on the line) each TEXT
		local line=$1 got t missing=
		shift
		got=$(zsh_complete "$line")
		got=$(tr -s ' ' <<<"$got")
		for t in "$@"; do [[ $got == *"$(tr -s ' ' <<<"$t")"* ]] || missing="$missing '$t'"; done
		[ -z "$missing" ] && pass "zsh: '$line<TAB>' shows $*" ||
			fail "zsh: '$line<TAB>' lacks$missing; got: $(echo "$got" | tr '\n' '|' | cut -c1-400)"
	}
	zsh_line() { # LINE RESULT: after TAB the line reads RESULT
		local got
		got=$(zsh_complete "$1" | sed -n 's/^BUFFER: //p')
		[ "$got" = "$2" ] && pass "zsh: '$1<TAB>' makes '$2'" ||
			fail "zsh: '$1<TAB>' makes '$got', expected '$2'"
	}
	zsh_lists "preflight po" "port      -- is this port free" "postgres  -- does this PostgreSQL"
	zsh_lists "preflight file /tmp --type " block char dir fifo file socket symlink
	zsh_lists "preflight http --expect-" \
		"--expect-header       -- 'Name: value' must be in the answer ('Name': any value); repeatable" \
		"--expect-status       -- statuses that pass: 200, 200-299,301 (default 200-399)"
	zsh_lists "preflight explain 12" "123  -- exec: the command could not be started"
	zsh_lists "preflight run " myapp other
	zsh_lists "preflight why fake-" fake-app.service fake-db.socket
	zsh_line "preflight fi" "preflight file "
	zsh_line "preflight-port 80 --inv" "preflight-port 80 --invert "
	zsh_line "preflight cap --set amb" "preflight cap --set ambient "
	zsh_line "preflight postgres --sslmode verify-f" "preflight postgres --sslmode verify-full "
	zsh_line "preflight user --group nog" "preflight user --group nogroup "
	zsh_line "preflight run myapp --as-unit fake-" "preflight run myapp --as-unit fake-app.service "
	zsh_line "preflight user root -- slee" "preflight user root -- sleep "
	zsh_line "preflight http http" "preflight http http"
	zsh_line "preflight http https" "preflight http https://"
else
	skip_case "zsh is not installed (apt-get install zsh)"
fi

# ---- fish ---------------------------------------------------------------------------------------
if command -v fish >/dev/null; then
	fish --no-execute "$WORK/preflight.fish" && pass "fish: the script parses" || fail "fish -n"
	fish_complete() { fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$WORK/preflight.fish" "$1" 2>&1; }
	fish_offers() { # LINE CANDIDATE[<TAB>DESCRIPTION]...: each among complete -C's lines
		local line=$1 got c missing=
		shift
		got=$(fish_complete "$line")
		for c in "$@"; do
			printf '%s\n' "$got" | grep -qxF -- "$c" || printf '%s\n' "$got" | cut -f1 | grep -qxF -- "$c" ||
				missing="$missing '$c'"
		done
		[ -z "$missing" ] && pass "fish: '$line' offers $(echo "$*" | tr '\t' ' ')" ||
			fail "fish: '$line' lacks$missing; got: $(echo "$got" | tr '\n\t' '| ' | cut -c1-400)"
	}
	T=$'\t'
	fish_offers "preflight fi" "file${T}$("$PREFLIGHT" list | awk '$1 == "file" {sub(/^file +/, ""); print}')"
	fish_offers "preflight p" "port${T}is this port free for the service to bind, and may this process bind it?" postgres
	fish_offers "preflight file /tmp --type " block char dir fifo file socket symlink
	fish_offers "preflight http --expect-h" \
		"--expect-header${T}'Name: value' must be in the answer ('Name': any value); repeatable"
	fish_offers "preflight exec true --expect-e" "--expect-exit${T}exit statuses that pass: 0, 0,1, 0-2,5 (default 0)"
	fish_offers "preflight user roo" root
	fish_offers "preflight user --group nog" nogroup
	fish_offers "preflight cap --set amb" ambient
	fish_offers "preflight limit nof" "nofile>="
	fish_offers "preflight postgres --sslmode verify" verify-ca verify-full
	fish_offers "preflight run x --format " human json nagios
	fish_offers "preflight run my" myapp
	fish_offers "preflight run myapp --as-unit fake-" fake-app.service
	fish_offers "preflight why fake-" fake-app.service fake-db.socket
	fish_offers "preflight explain 12" "123${T}exec: the command could not be started (not found, not executable)"
	fish_offers "preflight user root -- slee" sleep
	fish_offers "preflight-port 80 --inv" "--invert${T}pass when the check would fail"
	fish_offers "preflight redis --password-file $TESTS_DIR/integration/test_comp" \
		"$TESTS_DIR/integration/test_completion.sh"
	got=$(fish_complete "preflight run myapp --as-unit fake-")
	[[ $got != *fake-tpl@* ]] && pass "fish: --as-unit offers no template" || fail "fish: --as-unit offers a template"
	got=$(fish_complete "preflight ")
	printf '%s\n' "$got" | cut -f1 | grep -qx completion && fail "fish: the hidden command is offered" ||
		pass "fish: completion (hidden) is not offered"
else
	skip_case "fish is not installed (apt-get install fish)"
fi

# ---- every option, in every shell ---------------------------------------------------------------
# The options each --help lists, as "--name" one per line.
help_options() { "$PREFLIGHT" "$@" --help | sed -n 's/^ \{2,\}\(-[[:alnum:]], \)\{0,1\}\(--[[:alnum:]][[:alnum:]-]*\).*/\2/p'; }
contexts="$("$PREFLIGHT" list | awk '{print $1}') run why"
for c in $contexts; do
	want=$(help_options "$c" | sort -u)
	n=$(echo "$want" | wc -l)
	[ "$n" -ge 3 ] || fail "$c --help lists only $n options"
	if [ -f /usr/share/bash-completion/bash_completion ]; then
		got=$(bash_complete "preflight $c --" | sort -u)
		missing=$(comm -23 <(echo "$want") <(echo "$got") | tr '\n' ' ')
		[ -z "$missing" ] && pass "bash: every option of $c --help is offered ($n)" ||
			fail "bash: $c: not offered: $missing"
	fi
	if command -v fish >/dev/null; then
		got=$(fish_complete "preflight $c --" | cut -f1 | sort -u)
		missing=$(comm -23 <(echo "$want") <(echo "$got") | tr '\n' ' ')
		[ -z "$missing" ] && pass "fish: every option of $c --help is offered ($n)" ||
			fail "fish: $c: not offered: $missing"
	fi
	if command -v zsh >/dev/null; then
		# One pty session per line would take a second each: the function's specs are read
		# instead, and zsh_lists above shows they are what zsh offers.
		body=$(sed -n "/^_preflight_for_${c//-/_}() {/,/^}/p" "$WORK/zsh/_preflight")
		missing=
		for o in $want; do
			grep -qE -- "(^|[{,'*])$o[=+]?([[':]|,|\})" <<<"$body" || missing="$missing $o"
		done
		[ -z "$missing" ] && pass "zsh: every option of $c --help has a spec ($n)" ||
			fail "zsh: $c: no spec for$missing"
	fi
done
zsh_lists "preflight why --" "--user     -- the user's service manager, not the system's" \
	"--timeout  -- deadline for the whole command (default 5s)"

finish
