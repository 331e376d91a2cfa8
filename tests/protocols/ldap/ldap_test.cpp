#include "protocols/ldap/ldap.h"

#include <gtest/gtest.h>

#include "protocols/ldap/ldap_message.h"
#include "tests/support.h"

namespace trawl {
namespace {

using namespace testing;

// BER builders.
std::string tlv(uint8_t tag, const std::string& value) {
  std::string out(1, char(tag));
  size_t n = value.size();
  if (n < 0x80) {
    out += char(n);
  } else if (n < 0x100) {
    out += char(0x81);
    out += char(n);
  } else {
    out += char(0x82);
    out += char(n >> 8);
    out += char(n);
  }
  return out + value;
}
std::string integer(uint8_t tag, int v) {
  return tlv(tag, std::string(1, char(v)));
}
std::string octets(uint8_t tag, const std::string& s) {
  return tlv(tag, s);
}
std::string message(int id, const std::string& op) {
  return tlv(0x30, integer(0x02, id) + op);
}
std::string result(uint8_t app, int code, const std::string& diag = "") {
  return tlv(app, integer(0x0A, code) + octets(0x04, "") + octets(0x04, diag));
}
std::string ava(uint8_t tag, const std::string& a, const std::string& v) {
  return tlv(tag, octets(0x04, a) + octets(0x04, v));
}

std::string search(int id, const std::string& base, const std::string& filter) {
  return message(
      id, tlv(0x63, octets(0x04, base) + integer(0x0A, 2) + integer(0x0A, 0) + integer(0x02, 0) +
                        integer(0x02, 0) + tlv(0x01, std::string(1, '\0')) + filter +
                        tlv(0x30, octets(0x04, "cn") + octets(0x04, "mail"))));
}

TEST(Ldap, FiltersInRfc4515Form) {
  std::string subs =
      tlv(0xA4, octets(0x04, "cn") +
                    tlv(0x30, octets(0x80, "ab") + octets(0x81, "c(d") + octets(0x82, "ef")));
  std::string f =
      tlv(0xA0, ava(0xA3, "objectClass", "person") + subs +
                    tlv(0xA1, octets(0x87, "mail") + ava(0xA5, "age", "21")) +
                    tlv(0xA2, ava(0xA6, "uid", "a*b")) +
                    tlv(0xA9, octets(0x81, "caseExactMatch") + octets(0x82, "sn") +
                                  octets(0x83, "X") + tlv(0x84, std::string(1, '\xff'))));
  std::string out;
  ASSERT_TRUE(ldap_filter_string(bytes(f), out));
  EXPECT_EQ(out,
            "(&(objectClass=person)(cn=ab*c\\28d*ef)(|(mail=*)(age>=21))(!(uid<=a\\2ab))"
            "(sn:dn:caseExactMatch:=X))");
  std::string only_any = tlv(0xA4, octets(0x04, "cn") + tlv(0x30, octets(0x81, "x")));
  out.clear();
  ASSERT_TRUE(ldap_filter_string(bytes(only_any), out));
  EXPECT_EQ(out, "(cn=*x*)");
}

TEST(Ldap, OperationsPairedByMessageId) {
  DissectorHarness h(ldap_protocol());
  std::string bind = message(
      1, tlv(0x60, integer(0x02, 3) + octets(0x04, "cn=admin,dc=test") + octets(0x80, "secret")));
  h.a(bind);
  h.b(message(1, result(0x61, 0)));
  h.a(search(2, "dc=test", ava(0xA3, "uid", "ada")));
  std::string entry = message(
      2, tlv(0x64, octets(0x04, "uid=ada,dc=test") +
                       tlv(0x30, tlv(0x30, octets(0x04, "cn") + tlv(0x31, octets(0x04, "Ada"))))));
  // Two entries and the done in one segment; the done split across two.
  std::string done = message(2, result(0x65, 0));
  h.b(entry + entry + done.substr(0, 3));
  h.b(done.substr(3));
  h.a(message(3, tlv(0x6E, octets(0x04, "uid=ada,dc=test") + ava(0x30, "cn", "Ada"))));
  h.b(message(3, result(0x6F, 6)));
  h.a(message(4, tlv(0x4A, "uid=old,dc=test")));
  h.b(message(4, result(0x6B, 32, "no such entry")));
  h.a(message(5, tlv(0x50, std::string(1, '\x02'))) + message(6, tlv(0x42, "")));
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 6u);
  const Entry& b = h.sink.entries[0];
  EXPECT_EQ(b.protocol, "ldap");
  EXPECT_EQ(str(b.request, "operation"), "bindRequest");
  EXPECT_EQ(str(b.request, "name"), "cn=admin,dc=test");
  EXPECT_EQ(str(b.request, "password"), "[redacted]");
  std::string line;
  write_entry_json(line, b);
  EXPECT_EQ(line.find("secret"), std::string::npos);
  EXPECT_EQ(str(*b.response, "resultCodeName"), "success");
  const Entry& s = h.sink.entries[1];
  EXPECT_EQ(str(s.request, "filter"), "(uid=ada)");
  EXPECT_EQ(str(s.request, "scope"), "wholeSubtree");
  EXPECT_EQ(s.request.find("attributes")->dump(), R"(["cn","mail"])");
  EXPECT_EQ(str(*s.response, "operation"), "searchResDone");
  EXPECT_EQ(num(*s.response, "entries"), 2);
  EXPECT_EQ(s.response_size, 2 * entry.size() + done.size());
  EXPECT_EQ(num(*h.sink.entries[2].response, "resultCode"), 6);
  EXPECT_EQ(str(*h.sink.entries[2].response, "resultCodeName"), "compareTrue");
  EXPECT_EQ(str(h.sink.entries[3].request, "name"), "uid=old,dc=test");
  EXPECT_EQ(str(*h.sink.entries[3].response, "diagnosticMessage"), "no such entry");
  EXPECT_EQ(str(h.sink.entries[4].request, "operation"), "abandonRequest");
  EXPECT_EQ(num(h.sink.entries[4].request, "abandonId"), 2);
  EXPECT_FALSE(h.sink.entries[4].response);
  EXPECT_TRUE(h.sink.entries[4].error.empty());
  EXPECT_EQ(str(h.sink.entries[5].request, "operation"), "unbindRequest");
}

TEST(Ldap, ModifyAddModDnAndStartTls) {
  DissectorHarness h(ldap_protocol());
  std::string change = tlv(
      0x30, integer(0x0A, 2) + tlv(0x30, octets(0x04, "mail") + tlv(0x31, octets(0x04, "a@b"))));
  h.a(message(1, tlv(0x66, octets(0x04, "uid=a,dc=t") + tlv(0x30, change))));
  h.a(message(2, tlv(0x68, octets(0x04, "uid=b,dc=t") +
                               tlv(0x30, tlv(0x30, octets(0x04, "objectClass") +
                                                       tlv(0x31, octets(0x04, "top") +
                                                                     octets(0x04, "person")))))));
  h.a(message(3,
              tlv(0x6C, octets(0x04, "uid=b,dc=t") + octets(0x04, "uid=c") +
                            tlv(0x01, std::string(1, '\xff')) + octets(0x80, "ou=people,dc=t"))));
  h.a(message(4, tlv(0x77, octets(0x80, "1.3.6.1.4.1.1466.20037"))));
  h.b(message(1, result(0x67, 0)) + message(2, result(0x69, 68)) + message(3, result(0x6D, 0)));
  h.b(message(4, tlv(0x78, integer(0x0A, 0) + octets(0x04, "") + octets(0x04, "") +
                               octets(0x8A, "1.3.6.1.4.1.1466.20037"))));
  h.a("\x16\x03\x01\x00\x05hello");  // TLS from here: not parsed
  h.close();
  ASSERT_EQ(h.sink.entries.size(), 4u);
  EXPECT_EQ(h.sink.entries[0].request.find("changes")->dump(),
            R"([{"operation":"replace","type":"mail","values":["a@b"]}])");
  EXPECT_EQ(h.sink.entries[1].request.find("attributes")->dump(),
            R"([{"type":"objectClass","values":["top","person"]}])");
  EXPECT_EQ(str(*h.sink.entries[1].response, "resultCodeName"), "entryAlreadyExists");
  EXPECT_EQ(str(h.sink.entries[2].request, "newSuperior"), "ou=people,dc=t");
  EXPECT_EQ(str(h.sink.entries[3].request, "requestNameText"), "StartTLS");
  EXPECT_EQ(str(*h.sink.entries[3].response, "responseNameText"), "StartTLS");
  EXPECT_EQ(h.counters.malformed, 0u);
}

TEST(Ldap, CldapDatagramsAndGaps) {
  DissectorHarness udp(ldap_protocol(), true);
  udp.a(search(7, "", octets(0x87, "objectClass")));
  udp.b(message(7, tlv(0x64, octets(0x04, "") + tlv(0x30, ""))) + message(7, result(0x65, 0)));
  ASSERT_EQ(udp.sink.entries.size(), 1u);
  EXPECT_EQ(udp.sink.entries[0].protocol, "ldap");
  EXPECT_EQ(num(*udp.sink.entries[0].response, "entries"), 1);

  DissectorHarness h(ldap_protocol());
  h.a(search(1, "dc=x", octets(0x87, "cn")).substr(0, 10));
  h.dissector->on_gap(Direction::kAtoB, 30, 1500);
  h.a("junk" + search(2, "dc=y", octets(0x87, "cn")));
  h.b(message(2, result(0x65, 0)));
  h.close();
  bool found = false;
  for (const Entry& e : h.sink.entries)
    if (num(e.request, "messageId") == 2) found = str(e.request, "baseObject") == "dc=y";
  EXPECT_TRUE(found);
}

TEST(Ldap, ProbeAndMalformedMessages) {
  const ProtocolInfo& p = ldap_protocol();
  EXPECT_EQ(p.probe(bytes(search(1, "", octets(0x87, "cn"))), Direction::kAtoB), Probe::kYes);
  EXPECT_EQ(p.probe(bytes("GET / HTTP/1.1\r\n"), Direction::kAtoB), Probe::kNo);
  LdapMessage m;
  EXPECT_FALSE(decode_ldap_message(bytes(tlv(0x30, integer(0x02, 1))), m));
  EXPECT_FALSE(decode_ldap_message(bytes(tlv(0x30, integer(0x02, 1) + tlv(0x7F, ""))), m));
  LdapMessage bad_search;
  ASSERT_TRUE(decode_ldap_message(bytes(message(3, tlv(0x63, octets(0x04, "x")))), bad_search));
  EXPECT_EQ(bad_search.error, "malformed searchRequest");
}

}  // namespace
}  // namespace trawl
