#!/usr/bin/env bash
# LDAP on a real server: slapd (mdb database) in one namespace, the OpenLDAP
# clients in another: binds (anonymous, simple, a wrong password), add, search
# with filters, modify, compare, modrdn, delete, WhoAmI and a refused StartTLS;
# recorded on the bridge with tcpdump into OUT.pcap.
# Usage: ldap_traffic.sh OUT.pcap
set -euo pipefail
out=$(realpath -m "$1")
here=$(cd "$(dirname "$0")" && pwd)
NS_ID=ld$$
. "$here/netns.sh"

work=$(mktemp -d /tmp/trawl-ldap.XXXXXX)
cleanup() {
  netns_down
  rm -rf "$work"
}
trap cleanup EXIT
netns_up

base=dc=trawl,dc=test
admin=cn=admin,$base
mkdir -p "$work/db"
cat > "$work/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $work/slapd.pid
database mdb
maxsize 10485760
suffix "$base"
rootdn "$admin"
rootpw admin-secret
directory $work/db
CONF
in_srv slapd -f "$work/slapd.conf" -h "ldap://$SRV_IP:389/" -d 0 > "$work/slapd.log" 2>&1 &
for _ in $(seq 100); do
  in_cli ldapsearch -x -H "ldap://$SRV_IP" -b "" -s base > /dev/null 2>&1 && break
  sleep 0.1
done

capture_start "$out" 389

ldap() { in_cli "$@" -x -H "ldap://$SRV_IP" > /dev/null 2>&1 || true; }
cat > "$work/people.ldif" <<LDIF
dn: $base
objectClass: dcObject
objectClass: organization
o: trawl
dc: trawl

dn: ou=people,$base
objectClass: organizationalUnit
ou: people

dn: uid=ada,ou=people,$base
objectClass: inetOrgPerson
uid: ada
cn: Ada Lovelace
sn: Lovelace
mail: ada@trawl.test

dn: uid=grace,ou=people,$base
objectClass: inetOrgPerson
uid: grace
cn: Grace Hopper
sn: Hopper
LDIF
cat > "$work/modify.ldif" <<LDIF
dn: uid=ada,ou=people,$base
changetype: modify
replace: mail
mail: countess@trawl.test
-
add: description
description: first programmer
LDIF
ldap ldapadd -D "$admin" -w admin-secret -f "$work/people.ldif"
ldap ldapsearch -b "ou=people,$base" "(&(objectClass=inetOrgPerson)(cn=Ada*))" cn mail
ldap ldapsearch -b "ou=people,$base" "(|(uid=ada)(uid=grace))" uid
ldap ldapmodify -D "$admin" -w admin-secret -f "$work/modify.ldif"
ldap ldapcompare -D "$admin" -w admin-secret "uid=ada,ou=people,$base" "cn:Ada Lovelace"
ldap ldapmodrdn -D "$admin" -w admin-secret "uid=grace,ou=people,$base" "uid=hopper"
ldap ldapdelete -D "$admin" -w admin-secret "uid=hopper,ou=people,$base"
ldap ldapwhoami -D "uid=ada,ou=people,$base" -w wrong-password
ldap ldapwhoami
ldap ldapsearch -Z -b "$base" -s base "(objectClass=*)"

capture_stop
