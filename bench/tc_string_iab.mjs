// The IAB's own TC string decoder, @iabtcf/core, on the strings of
// bench/tc_string_bench.cpp, in the same JSON-line shape. Also a reference
// dump for tests/consent/tc_strings.json. bench/run_tc_string.sh installs
// @iabtcf/core from npm into a scratch directory and runs:
//
//   node bench/tc_string_iab.mjs --module-dir=DIR --data=tests/consent/tc_strings.json [--runs=7]
//   node bench/tc_string_iab.mjs --module-dir=DIR --dump < strings.txt
//   node bench/tc_string_iab.mjs --module-dir=DIR --check=tests/consent/tc_strings.json
//
// --dump prints each string of stdin (one a line) as @iabtcf/core decodes
// it, with the field names and formats of `custos signal decode` (times to
// the decisecond, sorted id lists, restrictions per purpose and type);
// @iabtcf/core refuses '=' padding, so it is removed first. --check decodes
// every string of the test data the same way and names each field whose
// `expected` value differs (usable and problems are Custos's own); it exits
// 1 unless the fields that differ are exactly a string's `iabDiffers`.
import {createRequire} from 'module';
import * as fs from 'fs';
import * as path from 'path';

const arg = (name, def) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? def : hit.slice(name.length + 3);
};
const moduleDir = arg('module-dir', '.');
const require = createRequire(path.resolve(moduleDir, 'package.json'));
const {TCString, PurposeRestriction} = require('@iabtcf/core');
const version = JSON.parse(fs.readFileSync(
    path.resolve(moduleDir, 'node_modules/@iabtcf/core/package.json'), 'utf8')).version;

const check = arg('check', null);
if (process.argv.includes('--dump') || check) {
  const ids = (v) => {
    const out = [];
    v.forEach((set, id) => {
      if (set) out.push(id);
    });
    return out.sort((a, b) => a - b);
  };
  const time = (d) => {
    const ms = d.getTime();
    return new Date(ms - ms % 1000).toISOString().slice(0, 19) + '.' + Math.floor((ms % 1000) / 100) + 'Z';
  };
  const decode = (text) => {
    const tc = text.trim().replace(/=+(\.|$)/g, '$1');
    let m;
    try {
      m = TCString.decode(tc);
    } catch (e) {
      return {tc, error: String(e.message || e)};
    }
    const restrictions = [];
    for (const p of m.publisherRestrictions.getPurposes()) {
      for (const t of [0, 1, 2]) {  // @iabtcf/core has no type 3
        const v = m.publisherRestrictions.getVendors(new PurposeRestriction(p, t));
        if (v.length) restrictions.push({purposeId: p, restrictionType: t, vendorIds: [...v].sort((a, b) => a - b)});
      }
    }
    // Segment types by their first character: 3 bits of type, then 3 of data.
    const types = tc.split('.').slice(1).map((s) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(s[0]) >> 3);
    return {
      version: m.version, created: time(m.created), lastUpdated: time(m.lastUpdated),
      cmpId: m.cmpId, cmpVersion: m.cmpVersion, consentScreen: m.consentScreen,
      consentLanguage: m.consentLanguage, vendorListVersion: m.vendorListVersion,
      policyVersion: m.policyVersion, isServiceSpecific: m.isServiceSpecific,
      useNonStandardTexts: m.useNonStandardStacks, purposeOneTreatment: m.purposeOneTreatment,
      publisherCountryCode: m.publisherCountryCode, specialFeatureOptIns: ids(m.specialFeatureOptins),
      purposeConsents: ids(m.purposeConsents), purposeLegitimateInterests: ids(m.purposeLegitimateInterests),
      vendorConsents: ids(m.vendorConsents), vendorLegitimateInterests: ids(m.vendorLegitimateInterests),
      vendorsDisclosed: ids(m.vendorsDisclosed), vendorsAllowed: ids(m.vendorsAllowed),
      publisherRestrictions: restrictions,
      publisherTC: types.includes(3) ? {
        pubPurposesConsent: ids(m.publisherConsents), pubPurposesLITransparency: ids(m.publisherLegitimateInterests),
        numCustomPurposes: m.numCustomPurposes, customPurposesConsent: ids(m.publisherCustomConsents),
        customPurposesLITransparency: ids(m.publisherCustomLegitimateInterests),
      } : null,
    };
  };
  if (!check) {
    for (const line of fs.readFileSync(0, 'utf8').split('\n')) {
      if (line.trim()) console.log(JSON.stringify(decode(line)));
    }
    process.exit(0);
  }
  let unexplained = 0;
  for (const s of JSON.parse(fs.readFileSync(check, 'utf8')).strings) {
    const theirs = decode(s.tc);
    const differ = Object.keys(theirs).filter(
        (k) => JSON.stringify(theirs[k]) !== JSON.stringify(s.expected[k]));
    const known = JSON.stringify(differ) === JSON.stringify(s.iabDiffers || []);
    if (!known) unexplained += 1;
    console.log(`${differ.length ? 'DIFFERS' : 'same   '} ${s.name}` +
        (differ.length ? `: ${differ.join(', ')}${known ? ' (known: see its note)' : ''}` : '') +
        (!known && s.iabDiffers ? ` (expected to differ in ${s.iabDiffers.join(', ')})` : ''));
  }
  process.exit(unexplained ? 1 : 0);
}

// The same strings, by name, as bench/tc_string_bench.cpp.
const names = ['es-cmpapi-issue-95', 'es-issue-201-repeated-restrictions'];
const data = JSON.parse(fs.readFileSync(arg('data', 'tests/consent/tc_strings.json'), 'utf8'));
const runs = Number(arg('runs', '7'));
const now = () => Number(process.hrtime.bigint());
let sink = 0;
for (const name of names) {
  const tc = data.strings.find((s) => s.name === name).tc;
  // Size a run to about 0.5 s from a warm-up of at least 0.25 s (the JIT
  // needs it).
  let n = 10;
  for (const start = now(); now() - start < 2.5e8; n *= 2) {
    for (let i = 0; i < n; ++i) sink += TCString.decode(tc).vendorConsents.size;
  }
  const samples = [];
  for (let run = 0; run < runs; ++run) {
    const start = now();
    for (let i = 0; i < n; ++i) {
      const m = TCString.decode(tc);
      sink += m.vendorConsents.size + m.publisherRestrictions.numRestrictions;
    }
    samples.push((now() - start) / n);
  }
  samples.sort((a, b) => a - b);
  const k = samples.length;
  const median = k % 2 ? samples[(k - 1) / 2] : (samples[k / 2 - 1] + samples[k / 2]) / 2;
  console.log(JSON.stringify({
    label: `@iabtcf/core ${version} TCString.decode, ${tc.length}-char string`, unit: 'ns/string',
    median: +median.toFixed(2), min: +samples[0].toFixed(2), max: +samples[k - 1].toFixed(2), runs: k,
    chars: tc.length, string: name, decodes_per_run: n, node: process.version,
  }));
}
if (sink === 42) console.error('');  // keeps the work observable
