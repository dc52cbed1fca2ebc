#!/usr/bin/python3
"""Compares commands on a noisy machine: runs them interleaved (A B C A B C ...), so that
whatever else the machine does falls on each alike, and prints per command the median wall
time, the median CPU time (user + system, all threads) and the median max RSS.

    /usr/bin/python3 interleave.py ROUNDS NAME=COMMAND [NAME=COMMAND...]
    /usr/bin/python3 interleave.py 20 "c1=java -XX:TieredStopAtLevel=1 ..." "int=java -Xint ..."

Each command is split like a shell would split it (no expansion), runs with its output
discarded, and must exit 0. Two rounds of warm-up are not counted.
"""
import os
import shlex
import statistics
import subprocess
import sys
import time

WARM_UP_ROUNDS = 2


def main():
    rounds = int(sys.argv[1])
    commands = [arg.split("=", 1) for arg in sys.argv[2:]]
    results = {name: [] for name, _ in commands}
    for i in range(rounds + WARM_UP_ROUNDS):
        for name, command in commands:
            started = time.perf_counter()
            p = subprocess.Popen(shlex.split(command), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(p.pid, 0)
            wall = time.perf_counter() - started
            if status != 0:
                sys.exit("%s exited with status %d: %s" % (name, status, command))
            if i >= WARM_UP_ROUNDS:
                results[name].append((wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000,
                                      usage.ru_maxrss / 1024))
    for name, _ in commands:
        r = results[name]
        print("%-20s wall %6.1f ms (min %6.1f)  cpu %6.1f ms  max RSS %5.1f MiB" % (
            name, statistics.median(x[0] for x in r), min(x[0] for x in r),
            statistics.median(x[1] for x in r), statistics.median(x[2] for x in r)))


if __name__ == "__main__":
    main()
