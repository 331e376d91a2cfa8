#!/usr/bin/env python3
"""Checks trawl's entries for the traffic ldap_traffic.sh made, field by field.

Usage: check_ldap_entries.py ENTRIES.jsonl
"""
import json
import sys

from checks import check, finish

entries = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
raw = open(sys.argv[1]).read()
SRV, CLI = "10.77.0.1", "10.77.0.2"
BASE = "dc=trawl,dc=test"
ADMIN = "cn=admin," + BASE


ldap = [e for e in entries if e["protocol"]["name"] == "ldap"]
req = lambda e: e.get("request", {})
resp = lambda e: e.get("response") or {}


def ops(name, pred=lambda e: True):
    return [e for e in ldap if req(e).get("operation") == name and pred(e)]


def one(name, pred, what):
    found = ops(name, pred)
    check(len(found) == 1, "%s: expected 1 entry, found %d" % (what, len(found)))
    return found[0] if found else None


for e in ldap:
    check(e["src"]["ip"] == CLI and e["dst"] == {"ip": SRV, "port": 389}, "client to slapd")
    check(e["protocol"]["version"] == "3", "LDAPv3")
    if req(e).get("operation") != "unbindRequest":
        check("response" in e and resp(e)["messageId"] == req(e)["messageId"], "paired by message id")
    check("error" not in e, "no error: %s" % e.get("error"))
check("admin-secret" not in raw and "wrong-password" not in raw, "passwords appear nowhere")

binds = ops("bindRequest")
check(len(binds) == 10, "ten binds, found %d" % len(binds))
admin_binds = [e for e in binds if req(e)["name"] == ADMIN]
check(len(admin_binds) == 5 and all(req(e).get("password") == "[redacted]" for e in admin_binds), "admin binds redacted")
check(all(resp(e)["resultCodeName"] == "success" for e in admin_binds), "admin binds succeed")
anon = [e for e in binds if req(e)["name"] == ""]
check(len(anon) == 4 and all("password" not in req(e) for e in anon), "anonymous binds have no password")
e = one("bindRequest", lambda e: req(e)["name"].startswith("uid=ada"), "wrong password")
check(e is not None and resp(e)["resultCode"] == 49 and resp(e)["resultCodeName"] == "invalidCredentials",
      "invalidCredentials")

adds = ops("addRequest")
check([req(e)["name"] for e in adds] == [BASE, "ou=people," + BASE, "uid=ada,ou=people," + BASE,
                                          "uid=grace,ou=people," + BASE], "four adds in order")
ada = [e for e in adds if req(e)["name"].startswith("uid=ada")]
if ada:
    attrs = {a["type"]: a["values"] for a in req(ada[0])["attributes"]}
    check(attrs.get("mail") == ["ada@trawl.test"] and attrs.get("cn") == ["Ada Lovelace"], "added attributes")
check(all(resp(e)["resultCode"] == 0 and resp(e)["operation"] == "addResponse" for e in adds), "adds succeed")

e = one("searchRequest", lambda e: "cn=Ada" in req(e)["filter"], "search with and")
if e:
    check(req(e)["filter"] == "(&(objectClass=inetOrgPerson)(cn=Ada*))", "filter in RFC 4515 form")
    check(req(e)["baseObject"] == "ou=people," + BASE and req(e)["scope"] == "wholeSubtree", "base and scope")
    check(req(e)["attributes"] == ["cn", "mail"], "requested attributes")
    check(resp(e)["operation"] == "searchResDone" and resp(e)["entries"] == 1, "one entry found")
e = one("searchRequest", lambda e: req(e)["filter"] == "(|(uid=ada)(uid=grace))", "search with or")
check(e is not None and resp(e)["entries"] == 2, "two entries found")
e = one("searchRequest", lambda e: req(e)["filter"] == "(objectClass=*)", "base search after StartTLS")
check(e is not None and req(e)["scope"] == "baseObject" and resp(e)["entries"] == 1, "present filter, base scope")

e = one("modifyRequest", lambda e: True, "modify")
check(e is not None and req(e)["changes"] == [
    {"operation": "replace", "type": "mail", "values": ["countess@trawl.test"]},
    {"operation": "add", "type": "description", "values": ["first programmer"]}], "modify changes")
e = one("compareRequest", lambda e: True, "compare")
check(e is not None and req(e)["attribute"] == "cn" and req(e)["value"] == "Ada Lovelace", "compare assertion")
check(e is not None and resp(e)["resultCodeName"] == "compareTrue", "compareTrue")
e = one("modDNRequest", lambda e: True, "modrdn")
check(e is not None and req(e)["newrdn"] == "uid=hopper" and req(e)["deleteoldrdn"] is False, "new RDN")
e = one("delRequest", lambda e: True, "delete")
check(e is not None and req(e)["name"] == "uid=hopper,ou=people," + BASE, "deleted DN")
ext = ops("extendedRequest")
whoami = [e for e in ext if req(e).get("requestNameText") == "WhoAmI"]
check(len(whoami) == 1 and resp(whoami[0])["resultCode"] == 0, "WhoAmI")
tls = [e for e in ext if req(e).get("requestNameText") == "StartTLS"]
check(len(tls) == 1 and resp(tls[0])["resultCodeName"] == "protocolError", "StartTLS refused by a server without TLS")
unbinds = ops("unbindRequest")
check(len(unbinds) == 10 and all("response" not in e for e in unbinds), "unbinds have no response")

finish("ldap integration")
