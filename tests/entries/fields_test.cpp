#include "entries/fields.h"

#include <gtest/gtest.h>

#include <set>

#include "entries/json_parse.h"

namespace trawl {
namespace {

// An entry with every field, context ones included.
Entry full_entry() {
  Entry e;
  e.id = 7;
  e.protocol = "http";
  e.version = "1.1";
  e.layer4 = "tcp";
  e.src = {"10.1.0.5", 41000};
  e.dst = {"10.96.0.10", 80};
  e.timestamp_us = 1795737600123456;
  e.elapsed_ms = 1.25;
  e.request.set("method", "GET");
  e.response = Json::object();
  e.response->set("status", 200);
  e.request_size = 100;
  e.response_size = 200;
  e.stream = "3";
  e.tls = true;
  e.error = "gap in stream";
  for (size_t i = 0; i < size_t(ContextField::kCount); ++i) {
    ContextField f = ContextField(i);
    const ContextFieldInfo& info = context_field_info(f);
    Json v;
    switch (info.type) {
      case ContextType::kString:
        v = Json(std::string(info.group) + "-" + std::string(info.key));
        break;
      case ContextType::kInt:
        v = Json(int64_t(1000 + i));
        break;
      case ContextType::kObject:
        v = Json::object();
        v.set("name", "x" + std::to_string(i));
        break;
      case ContextType::kList:
        v = Json::array();
        v.push("svc-" + std::to_string(i));
        break;
    }
    EXPECT_TRUE(e.context.set(f, std::move(v))) << info.key;
  }
  return e;
}

std::string json_of(const Entry& e) {
  std::string out;
  write_entry_json(out, e);
  return out;
}

// The paths (group.key) of the entry's JSON outside request and response.
std::set<std::string> written_paths(const Json& j) {
  std::set<std::string> paths;
  for (const auto& [key, value] : j.fields()) {
    if (key == "request" || key == "response") continue;
    if (value.is_object() && is_entry_group(key)) {
      for (const auto& [inner, v] : value.fields()) paths.insert(key + "." + inner);
    } else {
      paths.insert(key);
    }
  }
  return paths;
}

TEST(EntryFields, TheWriterWritesExactlyTheDeclaredFields) {
  Json j;
  ASSERT_TRUE(parse_json(json_of(full_entry()), j));
  std::set<std::string> declared;
  for (const EntryField& f : entry_fields())
    declared.insert(f.group.empty() ? std::string(f.key)
                                    : std::string(f.group) + "." + std::string(f.key));
  EXPECT_EQ(written_paths(j), declared);
}

TEST(EntryFields, EveryFieldReadsBackAsWritten) {
  Entry e = full_entry();
  std::string text = json_of(e);
  Entry back;
  ASSERT_TRUE(read_entry_json(text, back));
  EXPECT_EQ(json_of(back), text);
  for (const EntryField& f : entry_fields()) {
    FieldValue a = entry_field_value(f, e), b = entry_field_value(f, back);
    EXPECT_TRUE(a.present) << f.key;
    EXPECT_EQ(a.s, b.s) << f.key;
    EXPECT_EQ(a.i, b.i) << f.key;
  }
}

TEST(EntryFields, AnEntryWithoutContextIsWrittenAsBefore) {
  Entry e = full_entry();
  e.context.clear();
  EXPECT_EQ(json_of(e),
            R"({"id":"7","protocol":{"name":"http","abbr":"HTTP","version":"1.1","layer4":"tcp"},)"
            R"("src":{"ip":"10.1.0.5","port":41000},"dst":{"ip":"10.96.0.10","port":80},)"
            R"("timestamp":1795737600123,"timestampUs":1795737600123456,"elapsedTime":1.25,)"
            R"("request":{"method":"GET"},"response":{"status":200},"requestSize":100,)"
            R"("responseSize":200,"stream":"3","tls":true,"error":"gap in stream"})");
}

TEST(EntryFields, ContextFieldsSitInTheirGroups) {
  Entry e;
  e.protocol = "dns";
  e.context.set(ContextField::kDstName, Json("kube-dns"));
  e.context.set(ContextField::kSrcNamespace, Json("default"));
  e.context.set(ContextField::kNodeName, Json("node-1"));
  e.context.set(ContextField::kTraceId, Json("0af7651916cd43dd8448eb211c80319c"));
  e.context.set(ContextField::kSpanId, Json("b7ad6b7169203331"));
  std::string text = json_of(e);
  EXPECT_NE(text.find(R"("src":{"ip":"","port":0,"namespace":"default"})"), std::string::npos);
  EXPECT_NE(text.find(R"("dst":{"ip":"","port":0,"name":"kube-dns"})"), std::string::npos);
  EXPECT_NE(
      text.find(R"("node":{"name":"node-1"},"trace":{"traceId":"0af7651916cd43dd8448eb211c80319c",)"
                R"("spanId":"b7ad6b7169203331"}})"),
      std::string::npos)
      << text;
  EXPECT_EQ(entry_group_json(e, "node").dump(), R"({"name":"node-1"})");
  EXPECT_TRUE(entry_group_json(e, "cluster").is_null());
}

TEST(EntryFields, ContextValuesMustHaveTheirType) {
  EntryContext c;
  EXPECT_FALSE(c.set(ContextField::kSrcPid, Json("12")));
  EXPECT_FALSE(c.set(ContextField::kSrcLabels, Json::array()));
  EXPECT_FALSE(c.set(ContextField::kCount, Json("x")));
  EXPECT_TRUE(c.empty());
  EXPECT_TRUE(c.set(ContextField::kSrcPid, Json(12)));
  EXPECT_TRUE(c.set(ContextField::kSrcPid, Json(13)));
  ASSERT_TRUE(c.get(ContextField::kSrcPid));
  EXPECT_EQ(c.get(ContextField::kSrcPid)->integer(), 13);
  EXPECT_TRUE(c.set(ContextField::kSrcPid, Json()));
  EXPECT_TRUE(c.empty());
  // A reader given a value of another type leaves the field out.
  Entry e;
  ASSERT_TRUE(read_entry_json(
      R"({"protocol":{"name":"tcp"},"src":{"ip":"1.2.3.4","pid":"x","name":"a"}})", e));
  EXPECT_FALSE(e.context.get(ContextField::kSrcPid));
  ASSERT_TRUE(e.context.get(ContextField::kSrcName));
  EXPECT_EQ(e.src.ip, "1.2.3.4");
}

TEST(EntryFields, ProtocolsByNameOrAbbreviation) {
  EXPECT_EQ(protocol_named("http2"), "http2");
  EXPECT_EQ(protocol_named("gql"), "graphql");
  EXPECT_EQ(protocol_named("ws"), "websocket");
  EXPECT_EQ(protocol_named("grpc"), "grpc");
  EXPECT_EQ(protocol_named("HTTP"), "");
  EXPECT_EQ(protocol_named("gopher"), "");
}

}  // namespace
}  // namespace trawl
