// The entry: trawl's public record of one API call (../shared/spec/entry.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "entries/context.h"
#include "entries/json.h"
#include "entries/text_buffer.h"

namespace trawl {

struct EntryEndpoint {
  std::string ip;
  uint16_t port = 0;
};

struct Entry {
  uint64_t id = 0;       // assigned by the pipeline when emitted
  std::string protocol;  // entry.md protocol.name
  std::string version;
  std::string layer4;  // tcp, udp, sctp, icmp
  EntryEndpoint src, dst;
  int64_t timestamp_us = 0;
  double elapsed_ms = 0;
  Json request = Json::object();
  std::optional<Json> response;
  uint64_t request_size = 0, response_size = 0;
  std::string stream;
  bool tls = false;
  std::string error;
  EntryContext context;  // Kubernetes, process, capture and trace fields, when known
};

// Display abbreviation of a protocol name (entry.md protocol.abbr).
std::string_view protocol_abbr(std::string_view name);
// The position of a protocol in entry.md's list of names, or -1 for another.
int protocol_index(std::string_view name);
inline constexpr size_t kProtocolCount = 15;
// The name at a position of that list.
std::string_view protocol_name(size_t index);
// The protocol a word names: its name, or its abbreviation in lower case
// (gql, ws); empty for none.
std::string_view protocol_named(std::string_view word);

// Parses what dissectors wrote as JSON text (Json::raw) in the request and
// response, so readers can walk their fields.
void expand_raw(Entry& e);

// Dense traffic allocates no JSON text per entry: a dissector writes its
// request's and response's text in buffers taken here, and the pipeline gives
// them back once the outputs have the entry (a few small ones are kept per
// thread; an output that keeps the entry keeps them).
std::string take_entry_text();
void give_back_entry_texts(Entry& e);

// Appends the entry as one JSON object (no newline); into a TextBuffer (an
// output's lines) it is written in place.
void write_entry_json(std::string& out, const Entry& e);
void write_entry_json(TextBuffer& out, const Entry& e);
// The same without the leading `{"id":"N",`, for a writer that numbers entries later.
void write_entry_json_after_id(std::string& out, const Entry& e);
void write_entry_json_after_id(TextBuffer& out, const Entry& e);

// Receives entries from dissectors; sinks implement it.
class EntrySink {
 public:
  virtual ~EntrySink() = default;
  virtual void emit(Entry&& entry) = 0;
};

}  // namespace trawl
