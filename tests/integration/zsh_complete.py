#!/usr/bin/env python3
"""Completes LINE in a real interactive zsh, as a person pressing TAB would, in a pty.

Usage: zsh_complete.py FPATH_DIR LINE

zsh -f -i starts in a pseudo-terminal 220 columns wide; compinit loads the completion functions of
FPATH_DIR (where `preflight completion zsh` was written as _preflight) before zsh's own; LINE is
typed, then TAB, then a key bound to a widget that prints the edited line. Prints what zsh listed
(one line per row, escapes stripped; descriptions as "word  -- description") and, last,
"BUFFER: <the line after TAB>".
"""
import os
import pty
import re
import select
import sys
import time


def main():
    fpath, line = sys.argv[1], sys.argv[2]
    pid, fd = pty.fork()
    if pid == 0:
        import fcntl
        import struct
        import termios
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 220, 0, 0))
        os.environ["TERM"] = "xterm"
        os.environ["PS1"] = "%% "
        os.execvp("zsh", ["zsh", "-f", "-i"])

    def read_until(marker, timeout):
        buf = b""
        end = time.time() + timeout
        while time.time() < end:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            buf += data
            if marker and re.search(marker, buf):
                break
        return buf

    # The markers are spelled so that zsh's echo of this line does not contain them.
    setup = (
        "fpath=(%s $fpath); autoload -Uz compinit; compinit -u -D; "
        "zstyle ':completion:*' verbose yes; zstyle ':completion:*:descriptions' format '[%%d]'; "
        "LISTMAX=1000; "
        "_pf_show() { print -rn -- $'\\n'\"${:-=}BUF=$BUFFER${:-=}END=\"$'\\n' >/dev/tty }; "
        "zle -N _pf_show; bindkey '^X^B' _pf_show; echo ${:-RE}ADY\n" % fpath
    )
    os.write(fd, setup.encode())
    read_until(rb"READY\r\n", 15)
    # zle reads its input in order: the line shows once TAB's completion is done.
    os.write(fd, line.encode() + b"\t\x18\x02")
    out = read_until(rb"=END=", 15)
    os.write(fd, b"\x03exit\n")
    os.close(fd)
    os.waitpid(pid, 0)
    text = out.decode("utf-8", "replace")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    text = re.sub(r"\x1b[=>]", "", text).replace("\r", "")
    m = re.search(r"=BUF=(.*?)=END=", text)
    listing = text[: m.start()] if m else text
    for row in listing.split("\n"):
        row = row.rstrip()
        if row.startswith(line):
            row = row[len(line):]
        if row and not row.startswith("% "):
            print(row)
    print("BUFFER: " + (m.group(1) if m else "?"))


if __name__ == "__main__":
    main()
