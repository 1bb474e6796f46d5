#!/usr/bin/env python3
"""Translates ../shared/bench's workload.json into a Custos policy.

  python3 bench/workload_to_custos.py DIR/workload.json > DIR/workload.custos

Every purpose gets basis `contract` (no consent needed) and there are no
retain rules, as the shared benchmark's README asks; the workload's rules
become allow/deny rules with their ids, and its two condition kinds become
`actor.region == subject.region` and `subject.age >= 18`.
"""
import json
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: workload_to_custos.py WORKLOAD.json > POLICY.custos")
    with open(sys.argv[1]) as f:
        w = json.load(f)
    out = ['policy "shared-bench-workload" version %d' % w.get("version", 1), ""]
    out += ["attribute actor.region : string",
            "attribute subject.region : string",
            "attribute subject.age : int", ""]
    # Leaves only: declaring a leaf declares its parents.
    parents = {n["parent"] for n in w["categories"] if n["parent"]}
    leaves = [n["name"] for n in w["categories"] if n["name"] not in parents]
    for i in range(0, len(leaves), 8):
        out.append("category " + ", ".join(leaves[i:i + 8]))
    out.append("")
    for n in w["purposes"]:
        if n["parent"] is None:
            out.append("purpose %s basis contract" % n["name"])
    children = [n["name"] for n in w["purposes"] if n["parent"] is not None]
    for i in range(0, len(children), 8):
        out.append("purpose " + ", ".join(children[i:i + 8]))
    out.append("")
    out.append("role " + ", ".join(w["roles"]))
    out.append("")
    conditions = {
        "actor.region": "actor.region == subject.region",
        "subject.age": "subject.age >= 18",
    }
    for r in w["rules"]:
        line = '@id("%s") %s %s to read %s for %s' % (
            r["id"], r["effect"], r["role"], r["category"], r["purpose"])
        if "when" in r:
            line += " when " + conditions[r["when"]["lhs"]]
        out.append(line)
    print("\n".join(out))


if __name__ == "__main__":
    main()
