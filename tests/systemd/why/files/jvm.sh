# Exits 143 on SIGTERM, as a JVM does.
trap 'exit 143' TERM
while :; do sleep 0.05; done
