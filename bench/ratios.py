#!/usr/bin/env python3
"""Ratios of Custos's decision figures to the baseline's, from one run.

  python3 bench/ratios.py BASELINE.jsonl CUSTOS.jsonl
"""
import json
import sys


def load(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                j = json.loads(line)
                if "label" in j:
                    out[j["label"]] = j
    return out


def main():
    base, ours = load(sys.argv[1]), load(sys.argv[2])
    id_map = base["unordered_map<uint32 id-key> + condition check"]["median"]
    str_key = base["unordered_map<string key built per request> + condition check"]["median"]
    prepared = ours["custos prepared"]
    strings = ours["custos strings"]
    rows = [
        ("custos prepared", prepared["median"], "id-keyed map", id_map, 5.0, None),
        ("custos strings", strings["median"], "string-keyed map", str_key, None, 400.0),
        ("custos prepared 2 threads", ours["custos prepared 2 threads"]["median"], "id-keyed map",
         id_map, None, None),
    ]
    print("%-28s %10s  %-18s %10s %8s  %s" % ("path", "ns", "baseline", "ns", "ratio", "target"))
    ok = True
    for label, ns, blabel, bns, max_ratio, max_ns in rows:
        ratio = ns / bns
        target = ""
        if max_ratio is not None:
            target = "<= %.0fx: %s" % (max_ratio, "met" if ratio <= max_ratio else "MISSED")
            ok = ok and ratio <= max_ratio
        if max_ns is not None:
            target = "<= %.0f ns: %s" % (max_ns, "met" if ns <= max_ns else "MISSED")
            ok = ok and ns <= max_ns
        print("%-28s %10.1f  %-18s %10.1f %7.2fx  %s" % (label, ns, blabel, bns, ratio, target))
    for key in ("custos prepared latency", "custos strings latency"):
        p99 = ours[key]["p99"]
        print("%-28s p50 %.0f ns, p99 %.0f ns  (<= 1000 ns: %s)" % (
            key, ours[key]["p50"], p99, "met" if p99 <= 1000 else "MISSED"))
        ok = ok and p99 <= 1000
    print("mismatches: prepared %d, strings %d; allocations per decision: prepared %.3f" % (
        prepared["mismatches"], strings["mismatches"], prepared["allocs_per_decision"]))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
