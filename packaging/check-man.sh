#!/bin/sh
# Writes the man page preflight-CHECK(1) to stdout from the binary's own tables: `make` runs
#   packaging/check-man.sh BINARY CHECK DATE >build/man/preflight-CHECK.1
# NAME is the check's line of `preflight list`, SYNOPSIS its usage line, DESCRIPTION and OPTIONS
# its `preflight CHECK --help`, EXIT STATUS the rows of `preflight exit-codes` that are the
# check's own (the "CHECK:" rows) besides those every check shares. So a page cannot drift from
# the binary: a new option or code is on the page at the next build. preflight(1) stays the whole
# reference (chains, systemd, every command).
set -eu
bin=${1:?usage: check-man.sh BINARY CHECK DATE}
check=${2:?usage: check-man.sh BINARY CHECK DATE}
date=${3:?usage: check-man.sh BINARY CHECK DATE}

version=$("$bin" --version | sed -n 's/^preflight //p')
summary=$("$bin" list | awk -v c="$check" '$1 == c { $1 = ""; sub(/^ +/, ""); print }')
[ -n "$summary" ] || { echo "check-man.sh: $bin list has no check '$check'" >&2; exit 1; }
help=$("$bin" "$check" --help)
codes=$("$bin" exit-codes)

{
	printf '%s\n' "$help"
	echo "@@CODES@@"
	printf '%s\n' "$codes"
} | awk -v check="$check" -v date="$date" -v version="$version" -v summary="$summary" '
# roff: a backslash is \e, a line must not start with . or \x27 (they would be requests),
# and a hyphen in an option name is a minus (\-), so it can be searched and copied.
function esc(s) {
	gsub(/\\/, "\\e", s)
	sub(/^[.\x27]/, "\\\\\\&&", s)
	return s
}
function opt(s,   out) {
	s = esc(s)
	gsub(/-/, "\\-", s)
	return s
}
function flush() {
	if (para != "") { print ".PP"; print para; para = "" }
}
BEGIN {
	upper = toupper(check)
	printf ".TH PREFLIGHT\\-%s 1 \"%s\" \"preflight %s\" \"User Commands\"\n", upper, date, version
	print ".SH NAME"
	printf "preflight\\-%s \\- %s\n", check, esc(summary)
	state = "usage"
}
state == "usage" && /^Usage: / {
	sub(/^Usage: /, "")
	sub("^preflight " check " ?", "")
	rest = esc($0)
	print ".SH SYNOPSIS"
	print ".SY preflight"
	print ".B " check
	print rest
	print ".YS"
	printf ".SY preflight\\-%s\n", check
	print rest
	print ".YS"
	print ".SH DESCRIPTION"
	state = "desc"
	next
}
/^@@CODES@@$/ { flush(); state = "codes"; next }
state == "desc" || state == "opts" || state == "tail" {
	if ($0 ~ /^Options of every check:$/) {
		flush(); print ".SH OPTIONS OF EVERY CHECK"; state = "opts"; next
	}
	if ($0 ~ /^Options of .*:$/) {
		flush(); print ".SH OPTIONS"; state = "opts"; next
	}
	if (state == "opts" && $0 ~ /^  /) {
		line = $0
		sub(/^ +/, "", line)
		# "-t, --timeout SPAN      text": the option and its argument, then two spaces or more.
		n = match(line, /  +/)
		if (n == 0) {
			# A name too long for the column leaves one space before the text: the name is
			# the option words and the upper-case argument after them.
			cnt = split(line, all, " ")
			name = ""
			for (k = 1; k <= cnt; k++) {
				if (all[k] ~ /^-/ || (k > 1 && all[k] ~ /^[A-Z][][A-Z0-9_|:.]*$/))
					name = name (name == "" ? "" : " ") all[k]
				else break
			}
			text = ""
			for (; k <= cnt; k++) text = text (text == "" ? "" : " ") all[k]
			delete all
		} else {
			name = substr(line, 1, n - 1); text = substr(line, n + RLENGTH)
		}
		split(name, w, " ")
		head = ""
		for (i = 1; w[i] != ""; i++) {
			if (w[i] ~ /^-/) head = head (head == "" ? "" : " ") "\\fB" opt(w[i]) "\\fR"
			else head = head " \\fI" esc(w[i]) "\\fR"
		}
		delete w
		print ".TP"
		print head
		print esc(text)
		next
	}
	if (state == "opts" && $0 == "") { state = "tail"; next }
	if (state == "opts") state = "tail"
	if ($0 == "") { flush(); next }
	if (state == "desc" && $0 == summary && para == "" && !seen_summary) { seen_summary = 1; next }
	para = para (para == "" ? "" : "\n") esc($0)
	next
}
state == "codes" {
	if ($1 == "CODE") { print ".SH EXIT STATUS"; next }
	if ($1 !~ /^[0-9]+$/) next
	code = $1
	line = $0
	sub(/^[0-9]+ +[A-Z_]+ +/, "", line)
	kind = ""
	if (line ~ /^(permanent|transient)  /) { kind = line; sub(/ .*/, "", kind); sub(/^[a-z]+ +/, "", line) }
	own = index(line, check ": ") == 1
	if (code == 0 || code == 1 || code == 2 || code == 126 || code == 127 || own) {
		print ".TP"
		print "\\fB" code "\\fR"
		print esc(line) (kind == "" ? "" : " (" kind ")")
	}
	next
}
END {
	print ".PP"
	print "Codes every command shares (5, a library not installed; 6, a chain file) are in"
	print ".BR preflight (1);"
	print ".B preflight exit\\-codes"
	print "prints them all and"
	print ".B preflight explain"
	print ".I N"
	print "explains any status a unit can show."
	print ".SH SEE ALSO"
	print ".BR preflight (1),"
	print ".BR preflight.conf (5),"
	print ".BR systemd.service (5)"
}'
