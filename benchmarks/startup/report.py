#!/usr/bin/python3
"""The table of run.sh: each command's median wall time, CPU time and max RSS, its ratio to
its Python counterpart, and what the Java commands load.

    /usr/bin/python3 report.py RESULTS_DIR

RESULTS_DIR holds hyperfine.json (hyperfine --export-json), rss.txt (one "name|KiB" line a
run) and classes-*.log (-Xlog:class+load:file=...:none, one "NAME source: WHERE" line a class).
"""
import json
import os
import statistics
import sys

# Each ObjectBroker command and the Python command it is compared with.
PAIRS = {
    "mainclient list_all_images": "python pyro_client.py",
    "nsc list": "python -m Pyro4.nsc list",
    "nsc lookup": "python -m Pyro4.nsc lookup",
}
CLASS_LOGS = {
    "mainclient list_all_images": "classes-mainclient.log",
    "nsc list": "classes-nsc-list.log",
    "nsc lookup": "classes-nsc-lookup.log",
}


def classes(path):
    """(total, from a class-data archive, from jars or the JDK's modules, generated)."""
    total = archived = generated = 0
    with open(path) as f:
        for line in f:
            source = line.partition(" source: ")[2].strip()
            total += 1
            if source.startswith("shared objects file"):
                archived += 1
            elif not source.startswith(("jrt:", "file:", "jar:")):
                # spun at run time: lambda forms, lambdas (their source is their host class),
                # dynamic proxies
                generated += 1
    return total, archived, total - archived - generated, generated


def main():
    work = sys.argv[1]
    with open(os.path.join(work, "hyperfine.json")) as f:
        results = {r["command"]: r for r in json.load(f)["results"]}
    rss = {}
    with open(os.path.join(work, "rss.txt")) as f:
        for line in f:
            name, _, kib = line.strip().rpartition("|")
            rss.setdefault(name, []).append(int(kib))

    print("| command | median wall | mean ± sd | user + sys (mean) | max RSS (median) |"
          " vs Python: wall, RSS | classes loaded (archive / jars, JDK / generated) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, r in results.items():
        median = r["median"] * 1000
        cpu = (r["user"] + r["system"]) * 1000
        mem = statistics.median(rss[name]) / 1024
        ratio = loaded = ""
        if name in PAIRS:
            py = results[PAIRS[name]]
            py_mem = statistics.median(rss[PAIRS[name]]) / 1024
            ratio = "%.2fx, %.2fx" % (r["median"] / py["median"], mem / py_mem)
            log = os.path.join(work, CLASS_LOGS[name])
            if os.path.exists(log):
                loaded = "%d (%d / %d / %d)" % classes(log)
        print("| %s | %.1f ms | %.1f ± %.1f ms | %.1f ms | %.1f MiB | %s | %s |" % (
            name, median, r["mean"] * 1000, r["stddev"] * 1000, cpu, mem, ratio, loaded))


if __name__ == "__main__":
    main()
