# Generates debezium36.json from the oracle's answers, run in a directory holding v-nolisten.json (the JVM
# worker's PUT .../MySqlConnector/config/validate of a full config) and probes.json (= debezium36-probes.json:
# validate with every Debezium key set to one value): python3 debezium36.gen.py debezium36.json
import json, re, sys
FW={"Common","Transforms","Predicates","Error Handling","Topic Creation","Exactly Once Support","offsets.topic"}
v=json.load(open('v-nolisten.json')); probes=json.load(open('probes.json'))
KINDS=[("A value is required","required"),("An integer is expected","int"),("A long value is expected","long"),
 ("Either 'true' or 'false' is expected","boolean"),("A Java class name is expected","class"),
 ("A short value is expected","short"),("A double value is expected","double"),
 ("A positive, non-zero integer value is expected","positive_int"),("A positive, non-zero long value is expected","positive_long"),
 ("An non-negative integer is expected","non_negative_int"),("A non-negative long value is expected","non_negative_long"),
 ("A comma-separated list of valid regular expressions is expected","regex_list")]
def kind(k,msg):
    m=re.sub(r"^The '[^']*' value is invalid: ","",msg)
    for pre,kd in KINDS:
        if m.startswith(pre): return kd
    if m.startswith("Value must be one of "): return "enum:"+m[len("Value must be one of "):]
    mm=re.match(r'"(.+)" is already specified',m)
    if mm: return "excluded_by:"+mm.group(1)
    if "has invalid format (only the underscore" in m: return "name_chars"
    return "other:"+m
def merge(seqs):
    out=[]
    for s in seqs:
        i=0
        for x in s:
            if x in out[i:]: i=out.index(x,i)+1
            else: out.insert(i,x); i+=1
    return out
entries=[]
for c in v['configs']:
    d=c['definition']
    if d['group'] in FW: continue
    n=d['name']; seqs=[]
    for p in ["x","0","-1","(","","2147483648"," 5","true","<missing>"]:
        seen={}; s=[]
        for e in probes[p][n]:
            kd=kind(n,e); seen[kd]=seen.get(kd,0)+1; s.append(f"{kd}#{seen[kd]}")
        seqs.append(s)
    rules=[r.rsplit('#',1)[0] for r in merge(seqs)]
    special={"max.queue.size":["queue_size","int"],"skipped.operations":["operations"],
      "message.key.columns":["key_columns"],"gtid.source.excludes":["excluded_by_gtid:gtid.source.includes"],
      "snapshot.locking.mode":["named_enum"]+[r for r in rules if r.startswith("enum:")]}
    if any(r.startswith("other:") for r in rules):
        rules=special.get(n, ["key_value_map" if "equivalent-separated" in r else r for r in rules])
    entries.append({"name":n,"type":d['type'],"default":d['default_value'],"importance":d['importance'],
      "documentation":d['documentation'],"group":d['group'],"order":d['order_in_group'],"width":d['width'],
      "display_name":d['display_name'],"dependents":d['dependents'],
      "recommended":c['value']['recommended_values'],"visible":c['value']['visible'],"rules":rules})
json.dump({"groups":[g for g in v['groups'] if g not in FW],"keys":entries},open(sys.argv[1],'w'),indent=0,ensure_ascii=False)
for e in entries:
    if any(r.startswith("other") for r in e['rules']): print(e['name'],e['rules'])
