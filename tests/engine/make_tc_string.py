#!/usr/bin/env python3
"""Encodes IAB TCF v2 TC strings for the signal test cases.

The case files (tests/engine/cases/signals.json, examples/signals/) need TC
strings with chosen bits: purposes, a vendor's consent, a publisher
restriction. This writes them from a JSON description, following the field
table of the TCF specification ("Consent string and vendor list formats v2";
see ../shared/design/CONSENT-SIGNALS.md). Every string it wrote for the case
files was also decoded by the IAB's own @iabtcf/core (1.5.6), which read the
fields back as described (`--check-iab DIR`, DIR holding
node_modules/@iabtcf/core).

  tests/engine/make_tc_string.py '{"updated": "2026-01-10", "purposes": [1, 3, 4],
                                   "vendors": [755]}'

Fields (all optional): created, updated (YYYY-MM-DD, UTC midnight), version
(2), policy (TcfPolicyVersion, 4), service_specific (true), purposes and
li_purposes (PurposesConsent, PurposesLITransparency), vendors and
li_vendors (vendor ids), restrictions ([[purpose, type, [vendor ids]]]),
disclosed (vendor ids: adds a DisclosedVendors segment), publisher
({"purposes": [...], "li_purposes": [...]}: adds a PublisherTC segment).
"""
import base64
import datetime
import json
import subprocess
import sys


class Bits:
    def __init__(self):
        self.bits = []

    def put(self, value, n):
        for i in reversed(range(n)):
            self.bits.append((value >> i) & 1)

    def ids(self, ids, n):
        for i in range(1, n + 1):
            self.bits.append(1 if i in ids else 0)

    def text(self):
        bits = self.bits + [0] * (-len(self.bits) % 8)
        data = bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))
        return base64.urlsafe_b64encode(data).decode().rstrip("=")


def deciseconds(day):
    d = datetime.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 10


def letters(w, text):
    w.put((ord(text[0]) - 65) << 6 | (ord(text[1]) - 65), 12)


def vendor_section(w, ids):
    top = max(ids, default=0)
    w.put(top, 16)
    w.put(0, 1)  # a bitfield
    w.ids(set(ids), top)


def encode(spec):
    w = Bits()
    updated = deciseconds(spec.get("updated", "2026-01-10"))
    w.put(spec.get("version", 2), 6)
    w.put(deciseconds(spec["created"]) if "created" in spec else updated, 36)
    w.put(updated, 36)
    w.put(spec.get("cmp_id", 300), 12)
    w.put(spec.get("cmp_version", 2), 12)
    w.put(1, 6)  # ConsentScreen
    letters(w, "EN")
    w.put(spec.get("vendor_list_version", 120), 12)
    w.put(spec.get("policy", 4), 6)
    w.put(1 if spec.get("service_specific", True) else 0, 1)
    w.put(0, 1)  # UseNonStandardTexts
    w.put(0, 12)  # SpecialFeatureOptIns
    w.ids(set(spec.get("purposes", [])), 24)
    w.ids(set(spec.get("li_purposes", [])), 24)
    w.put(0, 1)  # PurposeOneTreatment
    letters(w, "DE")
    vendor_section(w, spec.get("vendors", []))
    vendor_section(w, spec.get("li_vendors", []))
    restrictions = spec.get("restrictions", [])
    w.put(len(restrictions), 12)
    for purpose, kind, vendors in restrictions:
        w.put(purpose, 6)
        w.put(kind, 2)
        w.put(len(vendors), 12)
        for v in vendors:
            w.put(0, 1)  # a single vendor
            w.put(v, 16)
    segments = [w.text()]
    if "disclosed" in spec:
        d = Bits()
        d.put(1, 3)
        vendor_section(d, spec["disclosed"])
        segments.append(d.text())
    if "publisher" in spec:
        p = Bits()
        p.put(3, 3)
        p.ids(set(spec["publisher"].get("purposes", [])), 24)
        p.ids(set(spec["publisher"].get("li_purposes", [])), 24)
        p.put(0, 6)  # NumCustomPurposes
        segments.append(p.text())
    return ".".join(segments)


def check_iab(module_dir, tc, spec):
    """Decodes `tc` with @iabtcf/core and compares the fields set in spec."""
    script = """
const {TCString} = require(process.argv[1] + '/node_modules/@iabtcf/core');
const m = TCString.decode(process.argv[2]);
const ids = (v) => { const o = []; v.forEach((has, id) => { if (has) o.push(id); }); return o; };
const r = [];
m.publisherRestrictions.getRestrictions().forEach((x) =>
  r.push([x.purposeId, x.restrictionType, m.publisherRestrictions.getVendors(x)]));
console.log(JSON.stringify({version: m.version, updated: m.lastUpdated.toISOString().slice(0, 10),
  policy: m.policyVersion, service_specific: m.isServiceSpecific,
  purposes: ids(m.purposeConsents), li_purposes: ids(m.purposeLegitimateInterests),
  vendors: ids(m.vendorConsents), li_vendors: ids(m.vendorLegitimateInterests),
  restrictions: r, pub: ids(m.publisherConsents), pub_li: ids(m.publisherLegitimateInterests)}));
"""
    out = json.loads(subprocess.run(["node", "-e", script, module_dir, tc], check=True,
                                    capture_output=True, text=True).stdout)
    want = {"version": spec.get("version", 2), "updated": spec.get("updated", "2026-01-10"),
            "policy": spec.get("policy", 4),
            "service_specific": spec.get("service_specific", True),
            "purposes": sorted(spec.get("purposes", [])),
            "li_purposes": sorted(spec.get("li_purposes", [])),
            "vendors": sorted(spec.get("vendors", [])),
            "li_vendors": sorted(spec.get("li_vendors", [])),
            "restrictions": [[p, t, sorted(v)] for p, t, v in spec.get("restrictions", [])],
            "pub": sorted(spec.get("publisher", {}).get("purposes", [])),
            "pub_li": sorted(spec.get("publisher", {}).get("li_purposes", []))}
    if out != want:
        raise SystemExit("@iabtcf/core reads %s differently:\n  got  %s\n  want %s" % (tc, out, want))


if __name__ == "__main__":
    args = sys.argv[1:]
    module_dir = None
    if args[:1] == ["--check-iab"]:
        module_dir, args = args[1], args[2:]
    for arg in args:
        spec = json.loads(arg)
        tc = encode(spec)
        if module_dir:
            check_iab(module_dir, tc, spec)
        print(tc)
