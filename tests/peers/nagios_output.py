#!/usr/bin/env python3
"""A strict reader of a Nagios plugin's output, written from the monitoring-plugins development
guidelines (https://nagios-plugins.org/doc/guidelines.html: "Plugin Output", "Performance data").

Usage: nagios_output.py EXIT_CODE < OUTPUT
Reads the output as Nagios 4 splits it (the first line's text up to a '|', then the long text up
to the first '|' of the other lines, and everything after that '|' as perfdata), checks it, and
prints one JSON object: state, text, long (a list of lines), perf (a list of items with label,
value, uom, warn, crit, min, max). Exits 1 with the reason on stderr when anything breaks the
rules:
- the output is at most 8192 bytes (what Nagios 4 reads), valid UTF-8, no control characters
  but the newlines, ends with one newline;
- the first line is "PREFLIGHT STATE - TEXT", STATE the one EXIT_CODE stands for
  (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN);
- perfdata: space-separated 'label'=value[UOM];[warn];[crit];[min];[max], the label in single
  quotes when it holds a space, a quote inside written as two, never an '=' in it; value a
  number in [-0-9.] ; UOM one of none, s ms us %, B KB MB TB, c; warn and crit ranges
  ([@][start:][end], ~ for -infinity); min and max numbers; trailing unfilled semicolons may be
  dropped; no label twice.
"""
import json
import re
import sys

STATES = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}
NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"
RANGE = re.compile(rf"^@?(?:(?:{NUMBER}|~):)?(?:{NUMBER})?$")
VALUE = re.compile(rf"^({NUMBER})(s|ms|us|%|B|KB|MB|TB|c)?$")
UOMS = {"s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"}


def die(why):
    sys.stderr.write(f"nagios_output.py: {why}\n")
    sys.exit(1)


def read_label(perf, i):
    """The label at perf[i:]: (label, index of the '=' after it)."""
    if perf[i] == "'":
        j, label = i + 1, []
        while True:
            if j >= len(perf):
                die(f"unterminated quoted label at {perf[i:i + 40]!r}")
            if perf[j] == "'":
                if j + 1 < len(perf) and perf[j + 1] == "'":
                    label.append("'")
                    j += 2
                    continue
                j += 1
                break
            if perf[j] == "=":
                die(f"'=' inside a label at {perf[i:j + 1]!r}")
            label.append(perf[j])
            j += 1
        if j >= len(perf) or perf[j] != "=":
            die(f"no '=' right after the quoted label {''.join(label)!r}")
        return "".join(label), j
    j = i
    while j < len(perf) and perf[j] not in "= ":
        if perf[j] == "'":
            die(f"a quote in an unquoted label at {perf[i:j + 1]!r}")
        j += 1
    if j >= len(perf) or perf[j] != "=":
        die(f"a perfdata item without '=' at {perf[i:i + 40]!r}")
    return perf[i:j], j


def parse_perfdata(perf):
    items, i = [], 0
    while i < len(perf):
        if perf[i] == " ":
            i += 1
            continue
        label, eq = read_label(perf, i)
        if not label:
            die("an empty label")
        end = perf.find(" ", eq + 1)
        end = len(perf) if end < 0 else end
        fields = perf[eq + 1:end].split(";")
        if len(fields) > 5:
            die(f"more than 5 fields in {perf[i:end]!r}")
        fields += [""] * (5 - len(fields))
        m = VALUE.match(fields[0])
        if not m:
            die(f"bad value {fields[0]!r} for {label!r}")
        for name, field in (("warn", fields[1]), ("crit", fields[2])):
            if field and not RANGE.match(field):
                die(f"bad {name} range {field!r} for {label!r}")
        for name, field in (("min", fields[3]), ("max", fields[4])):
            if field and not re.fullmatch(NUMBER, field):
                die(f"bad {name} {field!r} for {label!r}")
        if any(item["label"] == label for item in items):
            die(f"label {label!r} twice")
        items.append({"label": label, "value": float(m.group(1)), "uom": m.group(2) or "",
                      "warn": fields[1], "crit": fields[2], "min": fields[3],
                      "max": fields[4]})
        i = end
    return items


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        die("usage: nagios_output.py EXIT_CODE < OUTPUT")
    code = int(sys.argv[1])
    if code not in STATES:
        die(f"exit code {code} is none of 0, 1, 2, 3")
    raw = sys.stdin.buffer.read()
    if len(raw) > 8192:
        die(f"{len(raw)} bytes of output, more than 8192")
    try:
        out = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        die(f"not UTF-8: {e}")
    if not out.endswith("\n") or out.endswith("\n\n"):
        die("the output does not end with exactly one newline")
    if re.search(r"[\x00-\x09\x0b-\x1f\x7f]", out):
        die("a control character in the output")
    lines = out[:-1].split("\n")
    first, _, perf = lines[0].partition("|")
    m = re.fullmatch(r"PREFLIGHT (OK|WARNING|CRITICAL|UNKNOWN) - (\S.*)", first.rstrip(" "))
    if not m:
        die(f"the status line is not 'PREFLIGHT STATE - TEXT': {first!r}")
    if m.group(1) != STATES[code]:
        die(f"the status line says {m.group(1)}, the exit code {code} means {STATES[code]}")
    long_lines, perf_parts = [], [perf.strip()] if perf.strip() else []
    in_perf = False
    for line in lines[1:]:
        if in_perf:
            if "|" in line:
                die(f"a second '|' in the perfdata: {line!r}")
            perf_parts.append(line.strip())
            continue
        text, bar, rest = line.partition("|")
        long_lines.append(text.rstrip(" ") if bar else text)
        if bar:
            in_perf = True
            perf_parts.append(rest.strip())
    json.dump({"state": m.group(1), "text": m.group(2), "long": long_lines,
               "perf": parse_perfdata(" ".join(p for p in perf_parts if p))}, sys.stdout)
    sys.stdout.write("\n")


main()
