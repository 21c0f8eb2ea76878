#!/usr/bin/env python3
"""Writes crates/sluice/text-order.txt: the functions an idle worker runs (those a loaded one
runs too first, hottest first), then those only a loaded one runs, for the linker to place first
in `.text` (lld's `--symbol-ordering-file`, passed by crates/sluice/build.rs). See
BENCHMARKS.md, "Start-up-ordered code".

Why: the kernel maps code 64 KiB at a time around each page a process touches (fault-around),
so an idle worker whose few thousand running functions are spread over 21 MB of `.text` keeps
~11 MB of it resident; packed together, ~5 MB.

How the functions are found, on the release binary as built (names are mangled symbols):
1. load: scripts/bench_vs_jvm.py's CDC (schemas on) and file units, each worker under
   `perf record` (cpu-clock samples and every page fault); most sampled first.
2. idle: the worker starts against a private memory:// tansu under valgrind's callgrind, which
   records every function that runs, idles a few seconds after `GET /connectors` answers and
   stops on SIGTERM; then once more at full speed under `perf record -e page-faults` for what
   callgrind's timing misses. Those not already listed follow, in callgrind's order.
3. the names of the previous list (and of any `--previous` lists) that the binary still has,
   last; a name whose hash changed is carried over to the binary's one symbol of the same name
   and another hash.

The names are tied to the build: a changed crate or dependency renames some symbols (their
hash), and names the binary no longer has are skipped by the linker (`--no-warn-symbol-ordering`),
so a stale list degrades to the default layout but never breaks the build. A changed function can
rename others of its codegen unit (LLVM's `.llvm.<hash>` suffix): a 6 % loss raised idle RSS by
3 MB. A new dependency of a crate renames every symbol of it and of the crates above it (their
hashes include it); the `binary_layout` test fails when fewer than 4 in 5 names are left. Rerun
after dependency updates or larger changes, and measure idle RSS (scripts/bench_startup.sh).

Needs valgrind and perf, and what scripts/bench_vs_jvm.py needs (tansu, MariaDB).
Usage: .venv/bin/python scripts/text_order.py [--rows 50000] [--idle-seconds 8] [--previous F]...
"""

import argparse
import collections
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_vs_jvm as bench  # noqa: E402

REPO = bench.REPO
OUT = os.path.join(REPO, "crates/sluice/text-order.txt")


def run_idle(binary, prefix, idle_seconds, work, name):
    """Runs the worker under `prefix` against a private memory:// tansu until it has idled
    `idle_seconds` after `GET /connectors` answered, then stops it with SIGTERM."""
    tansu = bench.Tansu()
    port = bench.free_port()
    env = bench.sluice_env(tansu.bootstrap, port, "text_order")
    log = open(os.path.join(work, f"{name}.log"), "w")
    proc = subprocess.Popen(prefix + [binary], env=env, stdout=log, stderr=log)
    try:
        deadline = time.time() + 300
        while True:
            try:
                if bench.http(f"http://127.0.0.1:{port}/connectors", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError(f"the worker ({name}) did not start; see {log.name}")
            time.sleep(0.2)
        time.sleep(idle_seconds)
        proc.send_signal(signal.SIGTERM)
        proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
        tansu.stop()
        log.close()


def idle_functions(binary, idle_seconds, work):
    """Every function of `binary` that runs while a worker starts and idles: all that callgrind
    saw, in its file's order, then any more that took a page fault in a run at full speed
    (timing-dependent paths, and code before `main`)."""
    out = os.path.join(work, "callgrind.out")
    run_idle(binary, ["valgrind", "--tool=callgrind", "--demangle=no",
                      f"--callgrind-out-file={out}"], idle_seconds, work, "callgrind")
    found = callgrind_functions(out, os.path.basename(binary))
    data = os.path.join(work, "idle-faults.data")
    run_idle(binary, ["perf", "record", "-q", "-e", "page-faults/period=1/", "-o", data, "--"],
             idle_seconds, work, "faults")
    seen = set(found)
    for fn, _ in perf_functions(data, os.path.basename(binary)).most_common():
        if fn not in seen:
            seen.add(fn)
            found.append(fn)
    return found


def callgrind_functions(path, object_name):
    """Functions of `object_name` in a callgrind profile (its names are compressed: `(id) name`
    the first time, `(id)` after), without the `'N` suffixes of recursion levels."""
    objects, names, current, seen, found = {}, {}, None, set(), []
    line_re = re.compile(r"^(c?ob|c?fn)=\((\d+)\)(?: (.*))?$")
    with open(path) as f:
        for line in f:
            m = line_re.match(line.rstrip("\n"))
            if not m:
                continue
            kind, ident, name = m.groups()
            table = objects if kind.endswith("ob") else names
            if name:
                table[ident] = name
            if kind == "ob":
                current = objects.get(ident, "")
            elif kind == "fn" and os.path.basename(current or "") == object_name:
                fn = re.sub(r"'\d+$", "", names.get(ident, ""))
                if fn and not fn.startswith("0x") and fn not in seen:
                    seen.add(fn)
                    found.append(fn)
    return found


def perf_functions(data, object_name):
    """How many samples of a `perf record` file fall in each function of `object_name`."""
    counts = collections.Counter()
    text = subprocess.run(["perf", "script", "--no-demangle", "-i", data, "-F", "ip,sym,dso"],
                          capture_output=True, text=True, check=True).stdout
    sample_re = re.compile(r"^\s*[0-9a-f]+ (.*?) \((.*?)\)\s*$")
    for line in text.splitlines():
        m = sample_re.match(line)
        if m and os.path.basename(m.group(2)) == object_name and m.group(1) != "[unknown]":
            counts[m.group(1)] += 1
    return counts


def load_functions(binary, rows, work):
    """Functions of `binary` seen by perf under the CDC and file units, most sampled first."""
    wrapper = os.path.join(work, "perf-wrapper.sh")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\n"
                f'exec perf record -q -e cpu-clock/freq=4999/ -e page-faults/period=1/ '
                f'-o {work}/perf.$$.data -- {binary} "$@"\n')
    os.chmod(wrapper, 0o755)
    env = dict(os.environ, SLUICE_BIN=wrapper)
    subprocess.run(
        [sys.executable, os.path.join(REPO, "scripts/bench_vs_jvm.py"), "--rows", str(rows),
         "--units", "cdc,file", "--schemas", "on", "--workers", "sluice", "--idle-seconds", "1"],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )
    counts = collections.Counter()
    for name in os.listdir(work):
        if name.startswith("perf.") and name.endswith(".data"):
            counts += perf_functions(os.path.join(work, name), os.path.basename(binary))
    return [fn for fn, _ in counts.most_common()]


def binary_functions(binary):
    """The names of the code symbols in `binary`."""
    text = subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True,
                          check=True).stdout
    return {p[2] for p in (line.split() for line in text.splitlines())
            if len(p) == 3 and p[1] in "tTwW"}


# A Rust symbol's legacy mangling ends in a hash of the item and its crate's build: `17h<16 hex>E`.
HASH_RE = re.compile(r"17h[0-9a-f]{16}E$")
# LLVM appends `.llvm.<module hash>` to a local function it promotes across codegen units; the
# number changes whenever anything in that unit does, even when the function did not.
LLVM_RE = re.compile(r"\.llvm\.\d+$")


def carried_over(previous, present):
    """The names of `previous` as the binary has them: a name that is gone is replaced by the
    one present symbol that differs from it only in its `.llvm.` suffix, else by the one that
    differs in its hash too, if there is exactly one."""
    by_name = collections.defaultdict(list)
    by_stem = collections.defaultdict(list)
    for fn in present:
        name = LLVM_RE.sub("", fn)
        by_name[name].append(fn)
        by_stem[HASH_RE.sub("", name)].append(fn)
    out = []
    for fn in previous:
        if fn in present:
            out.append(fn)
            continue
        name = LLVM_RE.sub("", fn)
        stem = HASH_RE.sub("", name)
        if len(by_name.get(name, ())) == 1:
            out.append(by_name[name][0])
        elif stem != name and len(by_stem.get(stem, ())) == 1:
            out.append(by_stem[stem][0])
    return out


def blocks(hot, idle, present):
    """The list's three blocks, of the names `present` in the binary: the functions that run
    both at idle and under load (hottest first), the rest of those that run at idle (in the
    order they were seen), then those that run under load only (hottest first).

    An idle worker touches only the first two, so the kernel's 64 KiB fault-around windows do
    not map load-only code among them (with the whole load set first, the idle functions
    spread through it kept it resident); under load the data path's code is still packed, in
    two blocks."""
    idle_set = {fn for fn in idle if fn in present}
    both = [fn for fn in hot if fn in present and fn in idle_set]
    listed = set(both)
    idle_only = [fn for fn in idle if fn in present and fn not in listed]
    listed |= set(idle_only)
    load_only = [fn for fn in hot if fn in present and fn not in listed]
    return both, idle_only, load_only


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=50000)
    ap.add_argument("--idle-seconds", type=float, default=8)
    ap.add_argument("--previous", action="append", default=[],
                    help="an older list to carry names over from, after the current one")
    args = ap.parse_args()
    binary = os.path.realpath(bench.SLUICE_BIN)
    with tempfile.TemporaryDirectory(prefix="text-order-") as work:
        idle = idle_functions(binary, args.idle_seconds, work)
        bench.log(f"idle: {len(idle)} functions")
        hot = load_functions(binary, args.rows, work)
        bench.log(f"load: {len(hot)} functions")
    # Names from the previous list that the binary still has stay, last: perf samples miss
    # rarely run functions, so each run adds to what earlier runs found.
    present = binary_functions(binary)
    both, idle, load_only = blocks(hot, idle, present)
    listed = set(both) | set(idle) | set(load_only)
    previous = []
    for path in [OUT] + args.previous:
        if os.path.exists(path):
            with open(path) as f:
                previous += [line.strip() for line in f
                             if line.strip() and not line.startswith("#")]
    kept = []
    for fn in carried_over(previous, present):
        if fn not in listed:
            listed.add(fn)
            kept.append(fn)
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO,
                            capture_output=True, text=True).stdout.strip()
    # The binary holds the code under these paths (the list itself aside); uncommitted changes
    # there are named.
    code = ["crates", "connectors", "Cargo.toml", "Cargo.lock",
            ":(exclude)" + os.path.relpath(OUT, REPO)]
    if subprocess.run(["git", "diff", "--quiet", "HEAD", "--"] + code, cwd=REPO).returncode:
        commit += " with uncommitted changes"
    with open(OUT, "w") as f:
        f.write(f"# Generated by scripts/text_order.py on {time.strftime('%Y-%m-%d')} from "
                f"the release build of {commit}: {len(both)} functions that run at idle and "
                f"under load (hottest first), {len(idle)} more that run at idle, "
                f"{len(load_only)} that run under load only (hottest first), {len(kept)} from "
                "earlier lists. Read by crates/sluice/build.rs.\n")
        for fn in both + idle + load_only + kept:
            f.write(fn + "\n")
    bench.log(f"wrote {OUT}")


if __name__ == "__main__":
    main()
