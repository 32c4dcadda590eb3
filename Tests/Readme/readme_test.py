#!/usr/bin/env python3
"""The README works as written.

Runs every shell line of README.md's "Using it" section, in order and as written, in one
bash session against a fresh server started the README's way (`make serve PORT=… STORAGE=…`),
and checks that each line succeeds and that its output still says what the README says it
does. Then it follows what `synclet demo` printed: serves the demo's folder and runs the
commands the demo told the newcomer to run. Part of `make test` (`make readme-test`).

The only things changed before a line runs: the port (the README's 8080 becomes a free
one), the operator's key (the README's `OPERATOR_KEY=syn_…` placeholder gets the key the
server printed) and the demo's folder (a fresh temporary one). A `…` left in any other line
fails the test: it would be a placeholder a newcomer cannot fill from what the lines
before it printed.

    python3 Tests/Readme/readme_test.py            # the release build, as the README says
    python3 Tests/Readme/readme_test.py --debug    # the debug build (while developing)
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MARK = "__SYNCLET_README_LINE_DONE__"

# What a line's output must say, as the README's comments (and the line itself) promise:
# (a fragment of the command, patterns its output must contain). Every pattern is a regex.
EXPECTATIONS = [
    ("admin parties", [r"Ada Lovelace", r"Grace Hopper", r"Clip Studio", r"ShortsHub"]),
    ("admin platforms", [r"may report for: tiktok, youtube"]),
    ("admin credit", [r"Credited 25", r"Idempotency key: "]),
    ("tone --seconds 30 --format flac16", [r"night-drive\.flac"]),
    ("upload drums.wav bass.wav", [r"Created stem ast_\w+ \"drums\"", r"Created stem ast_\w+ \"bass\""]),
    ("upload-pack", [r"Night Drive \(stems only\)", r"drums", r"bass"]),
    ("assets list", [r"Night Drive", r"Neon Hook", r"drums", r"bass"]),
    ("assets show $TRACK", [r"bpm\s+92", r"A minor", r"stems\s+2", r"pty_\w+\s+60\.00%", r"pty_\w+\s+40\.00%"]),
    ("assets publish $TRACK", [r"Published ast_\w+ \"Night Drive\""]),
    ("assets edit $TRACK", [r"bpm\s+94", r"synthwave, night", r"5s \+", r"watermarked"]),
    ("assets splits $TRACK", [r"Recorded splits version 2"]),
    ("assets download $TRACK", [r"copy\.flac"]),
    ("assets bundle $TRACK", [r"night-drive\.zip"]),
    ("search synthwave", [r"Neon Hook"]),
    ("search --composer", [r"Night Drive", r"Neon Hook"]),
    ("admin drop $HOOK", [r"drp_\w+"]),
    ("quote $TRACK", [r"Assuming", r"creator-standard", r"social-clip", r"subscription-pool"]),
    ("licenses list", [r"lic_\w+", r"creator-standard"]),
    ("licenses show $LICENSE", [r"SYN-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", r"creator-standard", r"youtube:UC123"]),
    ("licenses download $LICENSE", [r"night-drive-license\.zip"]),
    ("verify $CODE", [r"(?i)valid"]),
    ("--online", [r"(?i)valid"]),
    ("usage report views.ndjson    # counts", [r"2 accepted", r"1 rejected", r"may not report usage on vimeo"]),
    ("usage report views.ndjson    # the same", [r"0 accepted, 2 duplicate", r"charged 0\.000000"]),
    ("wallet --spend", [r"lic_\w+", r"youtube"]),
    ("earnings", [r"usage\s+0\.\d{6}", r"license sales\s+\d+\.\d{6}", r"closing balance"]),
    ("statements show --period $(date -u +%Y-%m)    #", [r"Night Drive", r"(?i)closing"]),
    ("statements export", [r"statement\.csv"]),
    ("statements events", [r"yt-0001", r"yt-0002"]),
    ("admin close-period", [r"(?i)sealed"]),
    ("admin payouts", [r"payouts\.csv"]),
    ("--party $ADA", [r"Night Drive"]),
    ("demo --storage", [r"A demo marketplace is ready", r"synclet serve --storage"]),
]

# Lines a newcomer would type without the README's help: checks of what the lines left
# behind, run after the section (they are not in the README).
AFTERWARDS = [
    ('echo "$ADA $GRACE $STUDIO $SHORTS"', [r"^pty_\w+ pty_\w+ pty_\w+ pty_\w+\s*$"]),
    ('echo "$TRACK $HOOK"', [r"^ast_\w+ ast_\w+\s*$"]),
    # The stems took the track's tempo, key and splits, as the README's comment says.
    ("""$B assets list --json --api-key "$(jq -r .key.token ada.json)" | jq -r '.items[] | select(.kind == "stem" and .track_id == env.TRACK) | "\(.bpm) \(.key.name) \(.splits_inherited)"'""",
     [r"^92 A minor true\n92 A minor true$"]),
    ('$B assets splits $TRACK --api-key "$(jq -r .key.token ada.json)"', [r"70\.00%", r"30\.00%"]),
    # "Run the same command again": an upload the journal saw made into an asset gives that
    # asset again, not a second one.
    ("""test "$($B upload hook.wav --kind loop --title "Neon Hook" --bpm 92 --key 8A --tag synthwave --tag hook --json """
     """--api-key "$(jq -r .key.token ada.json)" | jq -r '.[0].id')" = "$HOOK" && echo same asset""", [r"^same asset$"]),
    ('echo "$LICENSE $CODE"', [r"^lic_\w+ SYN-"]),
    ("head -1 payouts.csv", [r"\w"]),
    ("unzip -l night-drive-license.zip 2>/dev/null || python3 -m zipfile -l night-drive-license.zip", [r"LICENSE\.md", r"license\.json"]),
]


def log(text):
    print(text, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def section(readme, title):
    """The text from `## title` to the next `## ` heading."""
    start = readme.index(f"\n## {title}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start:end if end >= 0 else len(readme)]


def shell_blocks(text):
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def commands(block):
    """Logical commands: continuation lines joined, a here-document kept with its command."""
    lines = block.splitlines()
    result = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.strip().startswith("#"):
            continue
        command = line
        while command.rstrip().endswith("\\") and i < len(lines):
            command += "\n" + lines[i]
            i += 1
        heredoc = re.search(r"<<-?\s*'?(\w+)'?", command)
        if heredoc:
            word = heredoc.group(1)
            while i < len(lines):
                command += "\n" + lines[i]
                i += 1
                if lines[i - 1].strip() == word:
                    break
        result.append(command)
    return result


class Shell:
    """One bash session: variables and the working folder carry from line to line."""

    def __init__(self, cwd, env):
        self.process = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=cwd, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.send("exec 2>&1")

    def send(self, command, timeout=180):
        self.process.stdin.write(command + f"\n__rc=$?; printf '\\n{MARK} %s\\n' \"$__rc\"\n")
        self.process.stdin.flush()
        output = []
        deadline = time.time() + timeout
        result = {}

        def read():
            for line in self.process.stdout:
                if line.startswith(MARK):
                    result["rc"] = int(line.split()[1])
                    return
                output.append(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(max(1, deadline - time.time()))
        if "rc" not in result:
            raise RuntimeError(f"no answer within {timeout} s from:\n{command}\n--- output so far ---\n{''.join(output)}")
        text = "".join(output)
        if text.endswith("\n"):
            text = text[:-1]  # the newline printed before the mark
        return result["rc"], text

    def close(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Server:
    def __init__(self, argv, cwd, env, name):
        self.log_path = os.path.join(env["TMPDIR"], f"{name}.log")
        self.log = open(self.log_path, "w+")
        self.process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def wait_for(self, pattern, timeout=600):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.log_path) as f:
                text = f.read()
            found = re.search(pattern, text)
            if found:
                return found, text
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{text[-3000:]}")
            time.sleep(0.2)
        raise RuntimeError(f"the server did not print {pattern!r} within {timeout} s")

    def stop(self):
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def check(command, rc, output, failures):
    if rc != 0:
        failures.append(f"exited with {rc}:\n  $ {command}\n{indent(output)}")
        return
    for fragment, patterns in EXPECTATIONS:
        if fragment in command:
            for pattern in patterns:
                if not re.search(pattern, output, flags=re.M):
                    failures.append(f"output does not say /{pattern}/:\n  $ {command}\n{indent(output)}")


def indent(text):
    return "\n".join("    | " + line for line in text.splitlines()[-40:])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="use the debug build instead of the release build")
    arguments = parser.parse_args()

    readme = open(os.path.join(REPO, "README.md")).read()
    using = section(readme, "Using it")
    lines = [command for block in shell_blocks(using) for command in commands(block)]
    if len(lines) < 40:
        sys.exit(f"found only {len(lines)} lines in the README's Using it section: the parser no longer reads it")

    work = tempfile.mkdtemp(prefix="synclet-readme-")
    env = dict(os.environ)
    env.update({"HOME": os.path.join(work, "home"), "SYNCLET_CONFIG_DIR": os.path.join(work, "config"),
                "TMPDIR": work, "LC_ALL": "C.UTF-8"})
    env.pop("SYNCLET_API_KEY", None)
    env.pop("SYNCLET_SERVER", None)
    os.makedirs(env["HOME"])
    # The newcomer's terminal: the repository's folder (B=$PWD/.build/release/synclet).
    newcomer = os.path.join(work, "repository")
    os.makedirs(newcomer)
    build = os.path.join(newcomer, ".build")
    os.makedirs(build)
    os.symlink(os.path.join(REPO, ".build", "debug" if arguments.debug else "release"), os.path.join(build, "release"))

    port = free_port()
    storage = os.path.join(work, "storage")
    demo_folder = os.path.join(work, "synclet-demo")
    if arguments.debug:
        argv = [os.path.join(REPO, ".build", "debug", "synclet"), "serve", "--port", str(port), "--storage", storage]
    else:
        argv = ["make", "--no-print-directory", "serve", f"PORT={port}", f"STORAGE={storage}"]
    log(f"README test: {len(lines)} lines of 'Using it'; server: {' '.join(argv)}")
    server = Server(argv, REPO, env, "server")
    shell = None
    demo_server = None
    failures = []
    try:
        server.wait_for(r"listening on http://127\.0\.0\.1:\d+")
        found, _ = server.wait_for(r"\n\s*(syn_\w+)\n", timeout=10)
        operator_key = found.group(1)

        shell = Shell(newcomer, env)
        shell.send("set -o pipefail")
        unmatched = [fragment for fragment, _ in EXPECTATIONS if not any(fragment in command for command in lines)]
        if unmatched:
            failures.append(f"expectations that match no README line (was a line renamed?): {unmatched}")
        demo_output = None
        for command in lines:
            ran = command.replace("http://127.0.0.1:8080", f"http://127.0.0.1:{port}")
            ran = ran.replace("/tmp/synclet-demo", demo_folder)
            if ran.startswith("OPERATOR_KEY=syn_…"):
                ran = ran.replace("syn_…", operator_key, 1)
            if "…" in ran.split("#")[0]:
                failures.append(f"a placeholder no earlier line fills:\n  $ {command}")
                continue
            started = time.time()
            rc, output = shell.send(ran)
            log(f"  [{rc}] {time.time() - started:5.1f}s  {command.splitlines()[0][:110]}")
            check(command, rc, output, failures)
            if "demo --storage" in command:
                demo_output = output
        shell.send("export TRACK")
        for command, patterns in AFTERWARDS:
            rc, output = shell.send(command)
            if rc != 0 or any(not re.search(p, output, flags=re.M) for p in patterns):
                failures.append(f"afterwards, {command} gave ({rc}):\n{indent(output)}")

        # What the demo told the newcomer to do next.
        if demo_output is None:
            failures.append("the README no longer runs `synclet demo`")
        else:
            failures += follow_demo(demo_output, demo_folder, newcomer, env)
    finally:
        if shell:
            shell.close()
        server.stop()
    if failures:
        log(f"\nREADME test FAILED: {len(failures)} problem(s)")
        for failure in failures:
            log("- " + failure)
        log(f"(work folder kept: {work})")
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    log("README test passed: every line ran and said what the README says.")


def follow_demo(demo_output, folder, newcomer, env):
    """Serves the demo's folder as it says and runs the commands it printed."""
    failures = []
    serve = re.search(r"^\s+synclet serve --storage (\S+)\s*$", demo_output, flags=re.M)
    if not serve or serve.group(1) != folder:
        return [f"the demo did not say how to serve {folder}:\n{indent(demo_output)}"]
    then = demo_output.split("Then, in another terminal:", 1)[-1].split("In a browser:", 1)[0]
    printed = [line.split("#")[0].strip() for line in then.splitlines() if line.strip().startswith("synclet ")]
    if len(printed) < 8:
        return [f"the demo printed only {len(printed)} commands to try:\n{indent(demo_output)}"]
    closed = re.search(r"statements show --period (\d{4}-\d{2})", then).group(1)
    port = free_port()
    binary = os.path.join(newcomer, ".build", "release", "synclet")
    server = Server([binary, "serve", "--storage", folder, "--port", str(port)], newcomer, env, "demo-server")
    shell = Shell(newcomer, env)
    expected = {
        f"statements show --period {closed}": [r"(?i)sealed", r"[0-9a-f]{64}", r"Night Drive"],
        "statements events": [r"yt-"],
        "assets show": [r"Night Drive", r"stems\s+2"],
        "search night": [r"Night Drive"],
        "verify": [r"(?i)valid"],
        "admin payouts": [r"pty_\w+"],
    }
    try:
        server.wait_for(r"listening on http://127\.0\.0\.1:\d+")
        for command in printed:
            ran = command.replace("synclet ", "$PWD/.build/release/synclet ", 1).replace("127.0.0.1:8080", f"127.0.0.1:{port}")
            rc, output = shell.send(ran)
            log(f"  demo [{rc}] {command[:110]}")
            if rc != 0:
                failures.append(f"the demo's command exited with {rc}:\n  $ {command}\n{indent(output)}")
                continue
            for fragment, patterns in expected.items():
                if fragment in command:
                    for pattern in patterns:
                        if not re.search(pattern, output, flags=re.M):
                            failures.append(f"the demo's command does not say /{pattern}/:\n  $ {command}\n{indent(output)}")
    finally:
        shell.close()
        server.stop()
    return failures


if __name__ == "__main__":
    main()
