#!/usr/bin/env python3
# usage: lockcount.py BIN CALLGRIND_OUT -> executed atomic read-modify-writes of BIN and the
# shared objects it loads, in total and by function (used by benches/tools/atomics.sh)
import sys,re,subprocess,collections
binp,cg=sys.argv[1],sys.argv[2]
def lockset(path):
    out=subprocess.run(["objdump","-d","--no-show-raw-insn",path],capture_output=True,text=True).stdout
    s=set(); starts=set()
    for l in out.splitlines():
        m=re.match(r"^\s+([0-9a-f]+):\s+(.*)$",l)
        if not m: continue
        a=int(m.group(1),16); starts.add(a)
        ins=m.group(2)
        if ins.startswith("lock") or re.match(r"xchg\s+%\w+,(0x|\(|-)",ins): s.add(a)
    return s,starts
obnames={}
cur_ob=None; cur_fn=None; fnnames={}
costs=collections.Counter(); byfn=collections.Counter()
last=0; skip=False
for line in open(cg):
    line=line.rstrip("\n")
    if line.startswith("ob="):
        m=re.match(r"ob=\((\d+)\)(?: (.*))?",line)
        if m.group(2): obnames[m.group(1)]=m.group(2)
        cur_ob=obnames[m.group(1)]; continue
    if line.startswith("fn="):
        m=re.match(r"fn=\((\d+)\)(?: (.*))?",line)
        if m.group(2): fnnames[m.group(1)]=m.group(2)
        cur_fn=fnnames[m.group(1)]; continue
    if line.startswith("cfn="):
        m=re.match(r"cfn=\((\d+)\)(?: (.*))?",line)
        if m and m.group(2): fnnames[m.group(1)]=m.group(2)
        continue
    if line.startswith("cob="):
        m=re.match(r"cob=\((\d+)\)(?: (.*))?",line)
        if m and m.group(2): obnames[m.group(1)]=m.group(2)
        continue
    if line.startswith("calls="): skip=True; continue
    m=re.match(r"^(0x[0-9a-f]+|\+\d+|-\d+|\*)\s+(\S+)\s+(\d+)",line)
    if not m: continue
    a=m.group(1)
    if a.startswith("0x"): addr=int(a,16)
    elif a=="*": addr=last
    else: addr=last+int(a)
    last=addr
    if skip: skip=False; continue
    costs[(cur_ob,addr)]+=int(m.group(3)); byfn[(cur_ob,addr)]=cur_fn
bases={}
tot=0; per=collections.Counter()
for ob in set(o for o,_ in costs):
    if ob is None or not ob.startswith("/"): continue
    try: ls,starts=lockset(ob)
    except Exception: continue
    addrs=[a for o,a in costs if o==ob]
    # Where valgrind loaded the object: the base that makes most executed addresses
    # instruction starts (0 for non-PIE, 0x108000 for a PIE main program).
    best=None
    for base in (0,0x108000,0x4000000,0x4800000,0x4a00000,0x4c00000,0x4e00000,0x5000000):
        hit=sum(1 for a in addrs if (a-base) in starts)
        if best is None or hit>best[1]: best=(base,hit)
    base=best[0]
    if best[1] < 0.9*len(addrs):
        print(f"# {ob}: load address not found ({best[1]}/{len(addrs)} matched); its atomics are not counted",file=sys.stderr)
        continue
    for (o,a),c in costs.items():
        if o==ob and (a-base) in ls:
            tot+=c; per[byfn[(o,a)]]+=c
print("total", tot)
for f,c in per.most_common(25): print(c, f)
