#!/bin/bash
# Hostile peers and secrets, on loopback only. What test_redis.sh, test_http.sh, test_tcp.sh and
# test_resolver.sh already cover (a silent Redis, a dripping reply, garbage, slow and dripping
# HTTP, 64 MiB bodies, a full accept queue, a silent resolver for tcp and http) is not repeated.
#  - Redis answers no server sends (tests/peers/fake_redis.py's hostile modes) and HTTP answers
#    no server sends (tests/peers/http_server.py's /hostile/ routes): each ends with the check's
#    own failure code, by the deadline (-t 1s: under 1.5 s, with and without --wait), in bounded
#    memory (max RSS through GNU time, as test_http.sh measures it).
#  - Peers that accept and never answer (tests/peers/answers_then_hangs.py 0), and a resolver that
#    never answers (with_silent_resolver.sh) for redis and http under --wait.
#  - Secrets: every way a password or token is given, passing and failing, with -v, --json and
#    both, alone, in chains, with --keep-going and --parallel, against peers that echo it back:
#    the secret never reaches stdout or stderr.
#  - No shell: nothing preflight does spawns /bin/sh (strace), whatever the targets contain.
. "$(dirname "$0")/lib.sh"

PY=$(command -v /usr/bin/python3 || command -v python3)
FAKE_REDIS="$PEERS/fake_redis.py"
SERVER="$PEERS/http_server.py"
RESOLVER="$PEERS/with_silent_resolver.sh"
SECRET='S3cr3t-XYZ'
SECRET_B64=$(printf 'user:%s' "$SECRET" | base64)     # Basic credentials for user:SECRET
SECRET_B64_BARE=$(printf ':%s' "$SECRET" | base64)    # ... and for an empty user
RSS_SLACK_KIB=8192 # what a hostile case may cost over a refused connection
TIMES_1S=()        # elapsed ms of every -t 1s case
RSS_MAX=0

if ! command -v redis-server >/dev/null || ! command -v strace >/dev/null; then
	fail "redis-server and strace are needed (packaging/deps.sh installs them)"
	finish
	exit 1
fi

# measure CMD...: as run_cmd (stdin from /dev/null), and RSS_KIB: the largest resident set CMD
# reached, as lib.sh's max_rss_kib measures it (GNU time, not python's getrusage: that one counts
# python's own memory, ~10 MiB, in every command's peak).
measure() {
	run_cmd unquarantined /usr/bin/time -f %M -o "$WORK/rss" "$@" </dev/null
	RSS_KIB=$(tail -n 1 "$WORK/rss")
}

# hostile CODE DESCRIPTION CHECK ARGS...: preflight CHECK ARGS -t 1s ends with CODE by its deadline
# (at it when CODE is a timeout; lib.sh's TIME_SLACK_MS later at most), its memory within RSS_SLACK_KIB of the same
# check against a refused port (BASE_RSS_redis, BASE_RSS_http: libcurl and its libraries are
# memory a refused redis check never maps, 8 MiB under ASan).
hostile() {
	local code=$1 desc=$2 base_var=BASE_RSS_$3
	shift 2
	local BASE_RSS=${!base_var}
	measure "$PREFLIGHT" "$@" -t 1s
	TIMES_1S+=("$ELAPSED_MS")
	[ "$RSS_KIB" -gt "$RSS_MAX" ] && RSS_MAX=$RSS_KIB
	expect_code "$code" "$desc"
	case $code in
	41 | 51) expect_took 1000 "$desc: ends at the deadline" ;;
	*) expect_elapsed 0 1000 "$desc: ends by the deadline" ;;
	esac
	if [ "$RSS_KIB" -le $((BASE_RSS + RSS_SLACK_KIB)) ]; then
		pass "$desc: memory bounded (max RSS ${RSS_KIB} KiB)"
	else
		fail "$desc: max RSS ${RSS_KIB} KiB, over ${BASE_RSS} + ${RSS_SLACK_KIB} KiB"
	fi
}

# expect_hidden DESCRIPTION: the secret is in neither stream of the last run, in no form.
expect_hidden() {
	local form
	for form in "$SECRET" "$SECRET_B64" "$SECRET_B64_BARE"; do
		if [[ "$OUT$ERR" == *"$form"* ]]; then
			fail "$1: the secret is shown ('$form')"
			printf '    stdout: %s\n    stderr: %s\n' "$OUT" "$ERR"
			return
		fi
	done
	pass "$1: secret not shown"
}

start_fake_redis() { # MODE: PORT is set
	start_peer "$PY" "$FAKE_REDIS" "$1" || return 1
	PORT=${PEER_OUT#ready }
}

refused=$(free_port)
measure "$PREFLIGHT" redis "127.0.0.1:$refused"
BASE_RSS_redis=$RSS_KIB
measure "$PREFLIGHT" http "http://127.0.0.1:$refused/"
BASE_RSS_http=$RSS_KIB
echo "# baseline: a refused redis check reaches ${BASE_RSS_redis} KiB, a refused http check ${BASE_RSS_http} KiB"

# ---- Redis: answers no Redis sends ------------------------------------------------------

while read -r mode code what; do
	start_fake_redis "$mode" || { fail "fake_redis.py $mode did not start"; continue; }
	hostile "$code" "redis, $what" redis "127.0.0.1:$PORT"
	hostile "$code" "redis --wait, $what" redis "127.0.0.1:$PORT" --wait -i 100ms
	# With a password: the first answer is then AUTH's, and the password must stay hidden.
	run_cmd env REDISCLI_AUTH="$SECRET" "$PREFLIGHT" redis "127.0.0.1:$PORT" -t 1s -v --json
	expect_hidden "redis, $what, REDISCLI_AUTH -v --json"
	stop_peer "$PEER_PID"
done <<'EOF'
bulk-absurd 41 a bulk string of 9 TB announced, then nothing
bulk-endless 40 an endless bulk string
count-absurd 40 an array of 2^31 elements announced, then endless elements
count-tiny 40 an array of 87000 three-byte elements (48-byte objects)
count-negative 40 an array of -5 elements
bulk-negative 40 a bulk string of -7 bytes
status-endless 40 a status line that never ends
status-lines 42 endless status lines
error-huge 40 a 64 MiB error line
close-mid 40 a connection closed mid-reply
pong-extra 40 PONG and replies nobody asked for
EOF
grep -q 'not as Redis does (an answer to PING of more than 256 KiB)' <<<"$(
	start_fake_redis bulk-endless && "$PREFLIGHT" redis "127.0.0.1:$PORT" 2>&1; stop_peer "$PEER_PID")" &&
	pass "an endless answer is named as such" || fail "an endless answer is not named"
for mode in count-absurd count-tiny; do
	grep -q 'not as Redis does (an answer to PING with more elements than any Redis answer)' <<<"$(
		start_fake_redis "$mode" && "$PREFLIGHT" redis "127.0.0.1:$PORT" 2>&1; stop_peer "$PEER_PID")" &&
		pass "$mode: an answer too large is named as such" || fail "$mode: an answer too large is not named"
done

start_fake_redis pong-always
hostile 42 "redis --db 1, PONG to SELECT" redis "127.0.0.1:$PORT" --db 1
expect_text ERR "SELECT answered 'PONG', not OK" "the wrong answer is named"
hostile 42 "redis --password, PONG to AUTH" redis "127.0.0.1:$PORT" --password "$SECRET"
expect_hidden "PONG to AUTH"
stop_peer "$PEER_PID"

start_fake_redis echo-password
for opts in "-v" "--json" "-v --json"; do
	# shellcheck disable=SC2086 # the options are words
	run_cmd env REDISCLI_AUTH="$SECRET" "$PREFLIGHT" redis "127.0.0.1:$PORT" $opts
	expect_code 43 "a server repeating the password in its error ($opts)"
	expect_hidden "-ERR wrong pass PASSWORD, REDISCLI_AUTH $opts"
	# shellcheck disable=SC2086
	run_preflight redis "redis://app:$SECRET@127.0.0.1:$PORT/2" $opts
	expect_hidden "-ERR wrong pass app PASSWORD, URL $opts"
done
run_preflight redis "redis://app:$SECRET@127.0.0.1:$PORT/2"
expect_text ERR "wrong pass app ***" "the echoed password is masked, the rest kept"
stop_peer "$PEER_PID"

# ---- HTTP: answers no HTTP server sends -------------------------------------------------

start_peer "$PY" "$SERVER" --port 0 || { fail "http_server.py did not start"; finish; exit 1; }
HTTP_PID=$PEER_PID
URL="http://127.0.0.1:${PEER_OUT#ready }"
while read -r code path what; do
	hostile "$code" "http, $what" http "$URL$path"
	hostile "$code" "http --wait, $what" http "$URL$path" --wait -i 100ms
done <<'EOF'
50 /hostile/endless-headers endless header lines
50 /hostile/huge-header one header line that never ends
50 /hostile/garbage-status a status line that is not one
50 /hostile/status-9999 status 9999
50 /hostile/length?value=-5 Content-Length -5
50 /hostile/length?value=99999999999999999999999 Content-Length 10^23
50 /hostile/length?value=9223372036854775807 Content-Length 2^63-1 and a short body
51 /hostile/chunked-drip a chunked body that drips forever
50 /hostile/chunk-absurd a chunk of 2^72 bytes
EOF
hostile 0 "http, endless chunks: the first 64 KiB decide" http "$URL/hostile/chunked-endless"
hostile 53 "http, endless chunks, body expected" http "$URL/hostile/chunked-endless" --expect-body ready
hostile 53 "http, a 4 GiB body, body expected" http "$URL/big?mib=4096" --expect-body ready
hostile 51 "http --wait, a dripping body" http "$URL/drip" --wait -i 100ms
hostile 52 "http -L, a redirect loop" http "$URL/hostile/loop" -L
expect_text ERR "after 10 redirects" "the loop is cut at 10 redirects"
loops=0
for i in 1 2 3 4 5; do
	"$PREFLIGHT" http "$URL/hostile/loop" -L -q 2>/dev/null
	[ $? -eq 52 ] && loops=$((loops + 1))
done
[ "$loops" -eq 5 ] && pass "a redirect loop on a server closing each connection: 52 every time" ||
	fail "a redirect loop on a server closing each connection: 52 only $loops times of 5"
hostile 52 "http -L --wait, a redirect loop" http "$URL/hostile/loop" -L --wait -i 100ms
for to in 'FILE:///etc/passwd' 'file:/etc/passwd&code=307' 'gopher://127.0.0.1:70/x&code=301' \
	'dict://127.0.0.1:11211/stat&code=308'; do
	hostile 52 "http -L, a redirect to ${to%%&*}" http "$URL/redirect?to=$to" -L
	expect_text ERR "only http and https are followed" "... refused as not http(s)"
done
hostile 52 "http -L --wait, a redirect to file:" http "$URL/redirect?to=file:///etc/passwd" -L --wait -i 100ms

# ---- Peers that accept and never answer -----------------------------------------------------

start_peer "$PY" "$PEERS/answers_then_hangs.py" 0
MUTE=${PEER_OUT#ready }
run_preflight tcp "127.0.0.1:$MUTE" --wait -t 5s -i 100ms --json
expect_code 0 "tcp: a peer that accepts and never speaks is accepting"
expect_attempts -eq 1 "tcp: at once"
hostile 41 "redis, a peer that accepts and never reads or answers" redis "127.0.0.1:$MUTE"
hostile 41 "redis --wait, the same" redis "127.0.0.1:$MUTE" --wait -i 100ms
hostile 51 "http, a peer that accepts and never reads or answers" http "http://127.0.0.1:$MUTE/"
hostile 51 "http --wait, the same" http "http://127.0.0.1:$MUTE/" --wait -i 100ms
stop_peer "$PEER_PID"

# resolver_case CODE DESCRIPTION ARGS...: preflight ARGS -t 1s behind with_silent_resolver.sh
# ends with CODE at the deadline.
resolver_case() {
	local code=$1 desc=$2
	shift 2
	measure "$RESOLVER" "$PREFLIGHT" "$@" -t 1s
	TIMES_1S+=("$ELAPSED_MS")
	expect_code "$code" "$desc"
	expect_took 1000 "... ends at the deadline"
}
if [ "$(id -u)" -eq 0 ]; then
	resolver_case 41 "redis, a resolver that never answers (with_silent_resolver.sh)" redis never.preflight.test:6379
	resolver_case 41 "redis --wait, a resolver that never answers" redis never.preflight.test:6379 --wait -i 100ms
	resolver_case 51 "http --wait, a resolver that never answers" http http://never.preflight.test/ --wait -i 100ms
else
	skip_case "with_silent_resolver.sh needs root (unshare --mount)"
fi

# ---- Secrets: every source, passing and failing, every output mode ---------------------------

AUTHED=$(free_port)
start_redis authed --port "$AUTHED" --requirepass "$SECRET"
wait_redis -p "$AUTHED"
start_fake_redis echo-password; ECHO_REDIS=$PORT
start_fake_redis silent; SILENT_REDIS=$PORT
printf '%s\n' "$SECRET" >"$WORK/pw"
printf 'x%s\n' "$SECRET" >"$WORK/pw-wrong" # wrong, and the secret is a part of it
chmod 600 "$WORK/pw" "$WORK/pw-wrong"

# redis_secret SOURCE PORT: the words (after "redis") that give the secret this way; ENV_AUTH is
# what REDISCLI_AUTH must hold. WRONG=1: a wrong password that contains the secret.
redis_words() {
	local source=$1 port=$2 pass=$SECRET
	[ "${WRONG:-0}" = 1 ] && pass="x$SECRET"
	ENV_AUTH=
	case $source in
	option) WORDS=("127.0.0.1:$port" --password "$pass") ;;
	env) WORDS=("127.0.0.1:$port"); ENV_AUTH=$pass ;;
	file) WORDS=("127.0.0.1:$port" --password-file "$WORK/pw"); [ "${WRONG:-0}" = 1 ] && WORDS[2]=$WORK/pw-wrong ;;
	url) WORDS=("redis://:$pass@127.0.0.1:$port/0") ;;
	url-user) WORDS=("redis://default:$pass@127.0.0.1:$port/0") ;;
	esac
}
# secret_case WRONG PORT CODE WHAT HIDDEN-WHAT [ARGS...]: preflight redis with the secret given
# as $source (WRONG=1: a wrong one), the options $o and ARGS, ends with CODE and never shows it.
secret_case() {
	local code=$3 what=$4 hidden=$5
	WRONG=$1 redis_words "$source" "$2"
	shift 5
	run_cmd env REDISCLI_AUTH="$ENV_AUTH" "$PREFLIGHT" redis "${WORDS[@]}" "${o[@]}" "$@"
	expect_code "$code" "redis $source $opts: $what"
	expect_hidden "redis $source $opts, $hidden"
}
for source in option env file url url-user; do
	for opts in "-v" "--json" "-v --json"; do
		# shellcheck disable=SC2206 # the options are words
		o=($opts)
		secret_case 0 "$AUTHED" 0 "the right password" passing
		secret_case 1 "$AUTHED" 43 "a wrong password" WRONGPASS
		secret_case 0 "$ECHO_REDIS" 43 "a server echoing the password" echoed
		secret_case 0 "$SILENT_REDIS" 41 "a silent server" "timed out" -t 300ms
		secret_case 0 "$refused" 40 "refused, --wait" refused --wait -t 300ms -i 100ms
	done
done

HP=${URL##*:}
for opts in "-v" "--json" "-v --json"; do
	# shellcheck disable=SC2206
	o=($opts)
	run_preflight http "http://user:$SECRET@127.0.0.1:$HP/echo" --expect-body 'Authorization: Basic' "${o[@]}"
	expect_code 0 "http user:pass@ $opts: sent and passing"; expect_hidden "http user:pass@ $opts, passing"
	run_preflight http "http://user:$SECRET@127.0.0.1:$HP/hostile/reflect" "${o[@]}"
	expect_code 52 "http user:pass@ $opts: reflected in status, header and body"
	expect_hidden "http user:pass@ $opts, reflected"
	run_preflight http "http://user:$SECRET@127.0.0.1:$HP/hostile/reflect" --expect-status 401 \
		--expect-header 'X-Echo: other' "${o[@]}"
	expect_code 53 "http user:pass@ $opts: the reflecting header compared"
	expect_hidden "http user:pass@ $opts, reflecting header shown"
	run_preflight http "http://user:$SECRET@127.0.0.1:$refused/" "${o[@]}"
	expect_code 50 "http user:pass@ $opts: refused"; expect_hidden "http user:pass@ $opts, refused"
	run_preflight http "$URL/echo" -H "Authorization: Bearer $SECRET" --expect-body Bearer "${o[@]}"
	expect_code 0 "http Bearer $opts: sent and passing"; expect_hidden "http Bearer $opts, passing"
	run_preflight http "$URL/hostile/reflect" -H "Authorization: Bearer $SECRET" --expect-status 401 \
		--expect-header 'X-Echo: other' "${o[@]}"
	expect_code 53 "http Bearer $opts: reflected"; expect_hidden "http Bearer $opts, reflected"
	run_preflight http "$URL/hostile/reflect" -H "Authorization: Bearer $SECRET" --expect-body-regex '^nothing' \
		--expect-status 401 "${o[@]}"
	expect_code 53 "http Bearer $opts: reflected body excerpt"; expect_hidden "http Bearer $opts, reflected body"
	run_preflight http "http://127.0.0.1:$MUTE/" -H "Authorization: Bearer $SECRET" -t 300ms "${o[@]}"
	expect_hidden "http Bearer $opts, timed out"
done

# The same through chains: every line at once, --keep-going, -v, --json, --parallel.
cat >"$WORK/secrets.conf" <<EOF
redis 127.0.0.1:$AUTHED --password $SECRET
redis redis://:$SECRET@127.0.0.1:$AUTHED/0
redis redis://default:x$SECRET@127.0.0.1:$AUTHED/0
redis 127.0.0.1:$AUTHED --password-file $WORK/pw --db 1
redis 127.0.0.1:$AUTHED --password-file $WORK/pw-wrong
redis 127.0.0.1:$ECHO_REDIS --password $SECRET
redis redis://:$SECRET@127.0.0.1:$SILENT_REDIS -t 300ms
redis 127.0.0.1:$ECHO_REDIS
http http://user:$SECRET@127.0.0.1:$HP/hostile/reflect --expect-status 401 --expect-header 'X-Echo: x'
http http://127.0.0.1:$HP/hostile/reflect -H 'Authorization: Bearer $SECRET' --expect-body nothing
http http://127.0.0.1:$HP/echo -H 'Authorization: Bearer $SECRET' --expect-body Bearer
EOF
chmod 600 "$WORK/secrets.conf"
for opts in "" "-v" "--json" "-v --json" "--parallel" "--parallel -v --json"; do
	# shellcheck disable=SC2206
	o=($opts)
	run_cmd env REDISCLI_AUTH="$SECRET" "$PREFLIGHT" run "$WORK/secrets.conf" --keep-going "${o[@]}"
	expect_code 43 "chain --keep-going $opts: the first failure's code"
	lines=$(grep -c -E '^(ok|FAIL|WARN)|"check":' <<<"$OUT$ERR")
	[ "$lines" -ge 11 ] && pass "chain --keep-going $opts: every line reported ($lines)" ||
		fail "chain --keep-going $opts: $lines lines reported"
	expect_hidden "chain --keep-going $opts"
	run_cmd env REDISCLI_AUTH="$SECRET" "$PREFLIGHT" run "$WORK/secrets.conf" "${o[@]}"
	expect_hidden "chain $opts (stops at the first failure)"
done
# Lines the chain refuses are quoted in its errors: not the secrets on them.
printf 'redis redis://:%s@127.0.0.1:%s/0 --bogus\n' "$SECRET" "$AUTHED" >"$WORK/bad1.conf"
printf 'redis 127.0.0.1:%s --password %s --db x\n' "$AUTHED" "$SECRET" >"$WORK/bad2.conf"
printf "http http://127.0.0.1:%s/ -H 'Authorization: Bearer %s' --expect-status x\n" "$HP" "$SECRET" >"$WORK/bad3.conf"
printf 'redis redis://:%s@127.0.0.1:%s/0 ${UNSET_%s}\n' "$SECRET" "$AUTHED" "$RANDOM" >"$WORK/bad4.conf"
chmod 600 "$WORK"/bad*.conf
for f in bad1 bad2 bad3 bad4; do
	run_preflight run "$WORK/$f.conf" -v --json
	expect_code 6 "chain $f: refused"
	expect_hidden "chain $f: the error"
done

# ---- No shell ---------------------------------------------------------------------------------

mkdir "$WORK/fakebin"
for sh in sh bash dash; do
	printf '#!/bin/true\n' >"$WORK/fakebin/$sh" # never run: the trace below says whether one was
	chmod 755 "$WORK/fakebin/$sh"
done
TCP_PORT=$HP
# What a shell would run, were one used: URLs take no spaces, so $IFS (which the chain leaves alone:
# it expands ${NAME} only) stands for one there.
payload='$(touch$IFS'"$WORK"'/marker)`touch$IFS'"$WORK"'/marker2`;touch$IFS'"$WORK"'/marker3'
spaced="\$(touch $WORK/marker4) \`touch $WORK/marker5\`; touch $WORK/marker6"
cat >"$WORK/shell.conf" <<EOF
tcp 127.0.0.1:$TCP_PORT
http 'http://127.0.0.1:$HP/echo?q=$payload' -H 'X-A: $spaced' --expect-body 'X-A: $spaced'
redis 127.0.0.1:$AUTHED --password '$spaced'
EOF
chmod 600 "$WORK/shell.conf"
# traced NAME ARGS...: as run_preflight, under strace -f; EXECS: the programs it executed.
traced() {
	local name=$1
	shift
	PATH="$WORK/fakebin:$PATH" run_cmd no_leak_check strace -f -qq -e trace=execve -e signal=none \
		-o "$WORK/trace.$name" "$PREFLIGHT" "$@"
	EXECS=$(sed -n 's/^[0-9]* *execve("\([^"]*\)".*= 0$/\1/p' "$WORK/trace.$name" | sort -u | tr '\n' ' ')
}
traced tcp tcp "127.0.0.1:$TCP_PORT"; expect_code 0 "traced: tcp"
[ "$EXECS" = "$PREFLIGHT " ] && pass "tcp executes nothing" || fail "tcp executed: $EXECS"
traced http http "http://127.0.0.1:$HP/echo?q=$payload" -H "X-A: $spaced" --expect-body "X-A: $spaced" -L; expect_code 0 "traced: http with \$(...) and backticks in the URL and a header"
[ "$EXECS" = "$PREFLIGHT " ] && pass "http executes nothing" || fail "http executed: $EXECS"
traced redis redis "127.0.0.1:$AUTHED" --password "$spaced"; expect_code 43 "traced: redis with \$(...) as the password"
[ "$EXECS" = "$PREFLIGHT " ] && pass "redis executes nothing" || fail "redis executed: $EXECS"
traced redis-url redis "redis://:$payload@127.0.0.1:$AUTHED/0"
[ "$EXECS" = "$PREFLIGHT " ] && pass "redis with \$(...) in the URL executes nothing" || fail "it executed: $EXECS"
traced chain run "$WORK/shell.conf" --keep-going --parallel; expect_code 43 "traced: a chain of them"
[ "$EXECS" = "$PREFLIGHT " ] && pass "a --parallel chain executes nothing" || fail "the chain executed: $EXECS"
traced wrapper tcp "127.0.0.1:$TCP_PORT" -q -- /bin/echo "$spaced"
expect_code 0 "traced: the wrapper"; expect_text OUT "$spaced" "the wrapped command got the payload as one word, unexpanded"
[ "$EXECS" = "$(printf '%s\n' "$PREFLIGHT" /bin/echo | sort -u | tr '\n' ' ')" ] && pass "the wrapper executes the command itself, no shell" ||
	fail "the wrapper executed: $EXECS"
traced wrapper-path tcp "127.0.0.1:$TCP_PORT" -q -- echo found-on-path
expect_code 0 "traced: the wrapper with a command found on PATH"
[[ "$EXECS" != *sh\ * ]] && pass "no shell to look the command up" || fail "the wrapper executed: $EXECS"
if ls "$WORK"/marker* >/dev/null 2>&1; then fail "a payload ran: $(ls "$WORK"/marker*)"; else pass "no payload ever ran"; fi

# ---- Figures ----------------------------------------------------------------------------------

sorted=$(printf '%s\n' "${TIMES_1S[@]}" | sort -n)
n=${#TIMES_1S[@]}
median=$(sed -n "$(((n + 1) / 2))p" <<<"$sorted")
echo "# -t 1s cases: $n, median ${median} ms, max $(tail -1 <<<"$sorted") ms; max RSS ${RSS_MAX} KiB (baselines ${BASE_RSS_redis} and ${BASE_RSS_http} KiB)"
stop_peer "$HTTP_PID"
finish
