#!/bin/bash
# What --wait reports when the deadline cuts the last attempt short: the last real answer.
. "$(dirname "$0")/lib.sh"

start_peer python3 "$PEERS/answers_then_hangs.py" 1
port=${PEER_OUT#ready }
run_preflight http "http://127.0.0.1:$port/" --wait -t 1500ms -i 100ms
expect_code 52 "an answer of 503, then silence: --wait exits with the 503's code, not a timeout"
expect_text ERR "503" "the message is the 503 answer"
expect_elapsed 1300 1500 "and it still ends at the deadline"
run_preflight http "http://127.0.0.1:$port/" -t 1s
expect_code 51 "one attempt against the silent peer is a timeout"

finish
