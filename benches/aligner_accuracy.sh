#!/usr/bin/env bash
# Calling accuracy on aligner output (issue 12): plates and a mixture made the way real
# data is made — reads from ART (HiSeq 2500 error and quality profile) aligned with
# bwa mem — not by mitosieve's own simulator.
#
# Command (from the repository root; the README's accuracy rows were made with it):
#
#     MITOSIEVE_TEST_DATA=../shared/data bash benches/aligner_accuracy.sh
#
# What it does (into bench-out/aligner/, git-ignored; reused while present):
#   1. "low": 7 clones of donor A, every one with m.3243A>G at 1.5-2.5% (the patient's
#      plate: no clone free of it), ~2,000x nominal each;
#   2. "high": 6 clones at 5.5-8%, just above the default 5% maximum;
#   2b. "vlow": 7 clones at 0.6-1.2%, near the 0.5% calling threshold;
#   3. "mix": a 1% two-person mixture at ~6,700x: MitoHPC's simulated haplotypes
#      sample_H (99%) and sample_L0 (1%) from $MITOSIEVE_TEST_DATA/mitohpc_sim/truth,
#      whose 72 SNVs where L0 differs from H are minor alleles at ~1%;
#   4. runs `mitosieve run` on the plates and `mitosieve call` on the mixture (at the
#      default --min-af 0.005 and at 0.01), and prints a markdown table: detected clones,
#      verdicts, non-truth heteroplasmies, mixture sensitivity and false positives.
#
# Each clone: `art_illumina -ss HS25 -l 150 -p -m 350 -s 50` on the two haplotypes
# (reference and variant) with coverage split by the fraction, reads pooled, `bwa mem`
# to rCRS (chrM), `samtools sort`/`index`.
#
# Needs: art_illumina (`apt-get install art-nextgen-simulation-tools`), bwa, samtools,
# python3, cargo (or MITOSIEVE=<binary>), and MITOSIEVE_TEST_DATA (rCRS and the MitoHPC
# haplotypes). Takes about 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench-out/aligner
DEPTH=${DEPTH:-2000}
MIXDEPTH=${MIXDEPTH:-6700}
: "${MITOSIEVE_TEST_DATA:?set MITOSIEVE_TEST_DATA to the shared data directory (rCRS and MitoHPC haplotypes)}"
for t in art_illumina bwa samtools python3; do
    command -v "$t" >/dev/null || { echo "aligner_accuracy.sh: $t not found" >&2; exit 1; }
done
if [ -z "${MITOSIEVE:-}" ]; then
    cargo build --release --quiet
    MITOSIEVE="$PWD/${CARGO_TARGET_DIR:-target}/release/mitosieve"
fi
mkdir -p "$OUT"
DATA=$(cd "$MITOSIEVE_TEST_DATA" && pwd)
export DATA OUT DEPTH MIXDEPTH MITOSIEVE

python3 - <<'EOF'
import os, subprocess, csv, json
DATA, OUT = os.environ["DATA"], os.environ["OUT"]
DEPTH, MIXDEPTH = int(os.environ["DEPTH"]), int(os.environ["MIXDEPTH"])
M = os.environ["MITOSIEVE"]
def sh(cmd): subprocess.run(cmd, shell=True, check=True, cwd=OUT)
ref = "".join(l.strip() for l in open(f"{DATA}/reference/rCRS.chrM.fa") if not l.startswith(">"))
if not os.path.exists(f"{OUT}/ref.fa.bwt"):
    open(f"{OUT}/ref.fa", "w").write(">chrM\n" + ref + "\n")
    sh("bwa index ref.fa 2>/dev/null")
DONOR = ["263A>G", "750A>G", "1438A>G", "3010G>A", "4769A>G", "8860A>G", "15326A>G", "16519T>C"]
def hap(variants):
    s = list(ref)
    for v in variants:
        p = int(v[:-3]); assert s[p - 1] == v[-3], v; s[p - 1] = v[-1]
    return "".join(s)
def reads(name, parts, seed):
    """parts: [(sequence, fold coverage)] pooled into name.bam."""
    if os.path.exists(f"{OUT}/{name}.bam.bai"):
        return
    for k, (seq, cov) in enumerate(parts):
        open(f"{OUT}/{name}.{k}.fa", "w").write(">chrM\n" + seq + "\n")
        sh(f"art_illumina -ss HS25 -i {name}.{k}.fa -l 150 -f {cov:.3f} -p -m 350 -s 50 "
           f"-o {name}.{k}. -rs {seed + k} -na -q >/dev/null 2>&1")
    for r in "12":
        sh(f"cat {' '.join(f'{name}.{k}.{r}.fq' for k in range(len(parts)))} > {name}.r{r}.fq")
    sh(f"bwa mem -t 2 -R '@RG\\tID:{name}\\tSM:{name}' ref.fa {name}.r1.fq {name}.r2.fq 2>/dev/null"
       f" | samtools sort -@2 -o {name}.bam - 2>/dev/null && samtools index {name}.bam"
       f" && rm -f {name}.*.fq {name}.*.fa {name}.r?.fq")
plates = {"low": [0.015, 0.017, 0.02, 0.022, 0.025, 0.018, 0.023],
          "high": [0.055, 0.06, 0.065, 0.07, 0.075, 0.08],
          "vlow": [0.006, 0.008, 0.01, 0.012, 0.007, 0.009, 0.011]}
base, var = hap(DONOR), hap(DONOR + ["3243A>G"])
for plate, fr in plates.items():
    for i, f in enumerate(fr):
        reads(f"{plate}{i + 1:02d}", [(base, DEPTH * (1 - f)), (var, DEPTH * f)], 1000 * (i + 1) + len(plate))
# The mixture.
seqs, name = {}, None
for l in open(f"{DATA}/mitohpc_sim/truth/chrM.30.fa"):
    l = l.strip()
    if l.startswith(">"): name = l[1:]; seqs[name] = []
    else: seqs[name].append(l)
H, L0 = "".join(seqs["sample_H"]), "".join(seqs["sample_L0"])
reads("mix", [(H, MIXDEPTH * 0.99), (L0, MIXDEPTH * 0.01)], 77)

rows = []
def tsv(path): return list(csv.DictReader(open(path), delimiter="\t"))
for plate, fr in plates.items():
    bams = " ".join(f"{plate}{i + 1:02d}.bam" for i in range(len(fr)))
    sh(f"rm -rf {plate}.screen && {M} run {bams} -o {plate}.screen --quiet")
    t = [r for r in tsv(f"{OUT}/{plate}.screen/targets.tsv") if r["target"] == "m.3243A>G"]
    det = sum(r["status"] == "detected" for r in t)
    errs = []
    for r in t:
        want = fr[int(r["clone"][-2:]) - 1]; d = int(r["depth"]); af = float(r["af"])
        tol = max(0.01, 3 * (want * (1 - want) / d) ** 0.5); errs.append(abs(af - want) / tol)
    sel = {r["clone"]: r["verdict"] for r in tsv(f"{OUT}/{plate}.screen/selection.tsv")}
    above = [r["clone"] for r in t if float(r["af_lo"]) > 0.05]
    calls = tsv(f"{OUT}/{plate}.screen/calls.tsv")
    fp = [r for r in calls if r["gt"] == "0/1" and r["filter"] == "PASS" and r["name"] != "m.3243A>G"]
    lo, hi = min(fr), max(fr)
    what = f"ART+bwa plate, {len(fr)} clones all carrying m.3243A>G at {lo:.1%}–{hi:.1%}, ~{DEPTH:,}x nominal"
    if plate == "vlow":
        # Near the 0.5% threshold at ~1,250 usable reads: power is not 100%; what must
        # hold is that "not detected" is said only without evidence.
        states = {}
        for r in t:
            states.setdefault(r["status"], []).append(r["alt_count"])
        shown = "; ".join(f"{k} {len(v)} (alt reads {', '.join(v)})" for k, v in sorted(states.items()))
        nd = [int(x) for x in states.get("not_detected", [])]
        rows.append((what, "m.3243A>G states", shown, "—"))
        rows.append(("", "not_detected with more than 5 alt reads", str(sum(x > 5 for x in nd)), "0"))
    else:
        rows.append((what, "m.3243A>G detected (PASS 0/1)", f"{det}/{len(t)}", "all"))
    rows.append(("", "fractions within max(1 pp, 3 SE) of the simulated", f"{sum(e <= 1 for e in errs)}/{len(t)} (worst {max(errs):.2f} of the tolerance)", "all"))
    verdicts = ", ".join(f"{v} {sum(x == v for x in sel.values())}" for v in ["PASS", "FAIL", "INCONCLUSIVE"])
    if plate == "high":
        rows.append(("", "verdicts (95% interval wholly above 5%: FAIL)", f"{verdicts}; {sum(sel[c] == 'FAIL' for c in above)}/{len(above)} of those above FAIL", "none PASS"))
    else:
        rows.append(("", "verdicts (5% maximum)", verdicts, ""))
    rows.append(("", "PASS heteroplasmies not simulated (16,569 positions × clones)", str(len(fp)), "0"))
# Mixture.
minor = set()
for l in open(f"{DATA}/mitohpc_sim/truth/chrM.30.H.vcf"):
    if l.startswith("#"): continue
    f = l.split("\t"); k = (int(f[1]), f[3], f[4]); s = f[9].strip()
    if len(f[3]) == 1 and len(f[4]) == 1:
        if s == "sample_L0": minor.add(k)
        if s == "sample_H": minor.discard(k) if k in minor else None
Hset = set()
for l in open(f"{DATA}/mitohpc_sim/truth/chrM.30.H.vcf"):
    if l.startswith("#"): continue
    f = l.split("\t")
    if f[9].strip() == "sample_H": Hset.add((int(f[1]), f[3], f[4]))
minor -= Hset
for maf in ["0.005", "0.01"]:
    sh(f"rm -rf mix.{maf} && {M} call mix.bam -o mix.{maf} --min-af {maf} --quiet")
    calls = {(int(r["pos"]), r["ref"], r["alt"]): r for r in tsv(f"{OUT}/mix.{maf}/calls.tsv")}
    tp = sum(1 for k in minor if k in calls and calls[k]["gt"] == "0/1" and calls[k]["filter"] == "PASS")
    fp = [k for k, r in calls.items() if r["gt"] == "0/1" and r["filter"] == "PASS" and k not in minor and k not in Hset]
    what = f"ART+bwa 1% mixture (MitoHPC haplotypes H 99% + L0 1%, ~{MIXDEPTH:,}x nominal)" if maf == "0.005" else ""
    rows.append((what, f"minor SNVs called PASS 0/1 at --min-af {maf} / other PASS heteroplasmies", f"{tp}/{len(minor)} ({tp / len(minor):.1%}) / {len(fp)}", "0 others"))
print("| data set | figure | mitosieve | required |")
print("|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
EOF
