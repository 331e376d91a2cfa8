#include "protocols/grpc/grpc.h"

#include "base/decompress.h"
#include "base/text.h"
#include "protocols/grpc/proto_schema.h"
#include "protocols/grpc/protobuf.h"

namespace trawl {

namespace {

constexpr size_t kMaxMessages = 1000;  // listed per direction

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto hex = [](char c) {
      return c >= '0' && c <= '9'   ? c - '0'
             : c >= 'A' && c <= 'F' ? c - 'A' + 10
             : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                    : -1;
    };
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += char(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Decodes the length-prefixed messages of one direction into `side`.
// The method a message belongs to, for decoding by name.
struct Method {
  const ProtoSchema* schema;
  std::string_view service, rpc;
  bool request;
};

void set_messages(Json& side, const GrpcSide& g, size_t max_body, const Method& method) {
  side.set("bodySize", g.body_bytes);
  Json list = Json::array();
  Bytes b(reinterpret_cast<const uint8_t*>(g.body.data()), g.body.size());
  size_t pos = 0, listed = 0, shown_bytes = 0;
  bool decoded_by_name = false;
  std::string error;
  while (pos < b.size()) {
    if (b.size() - pos < 5) {
      error = "message prefix cut";
      break;
    }
    bool compressed = b[pos] & 1;
    uint32_t len = load_be32(b.data() + pos + 1);
    if (len > b.size() - pos - 5) {
      error = g.body_capped ? "" : "message cut";
      break;
    }
    Bytes payload = b.subspan(pos + 5, len);
    pos += 5 + len;
    if (listed == kMaxMessages || shown_bytes > max_body) {
      side.set("messagesTruncated", true);
      break;
    }
    ++listed;
    std::string inflated;
    if (compressed) {
      Codec codec = codec_from_content_encoding(g.encoding);
      Decompressed d;
      if (codec == Codec::kGzip || codec == Codec::kDeflate)
        d = decompress(codec, as_text(payload), max_body);
      if ((codec != Codec::kGzip && codec != Codec::kDeflate) || !d.ok) {
        Json m = Json::object();
        m.set("error", "cannot decompress (" + std::string(g.encoding) + ")");
        m.set("length", len);
        list.push(std::move(m));
        continue;
      }
      inflated = std::move(d.data);
      payload = Bytes(reinterpret_cast<const uint8_t*>(inflated.data()), inflated.size());
    }
    shown_bytes += payload.size();
    Json m;
    if (method.schema &&
        method.schema->decode(method.service, method.rpc, method.request, payload, m))
      decoded_by_name = true;
    else if (!decode_protobuf(payload, m)) {
      m = Json::object();
      m.set("error", "not a protobuf message");
      m.set("dataBase64", base64_encode(as_text(payload)));
    }
    list.push(std::move(m));
  }
  side.set("messages", std::move(list));
  if (decoded_by_name) side.set("messagesSchema", true);
  if (g.body_capped) side.set("bodyTruncated", true);
  if (!error.empty()) side.set("messagesError", error);
}

}  // namespace

bool is_grpc_content_type(std::string_view ct) {
  return ct.size() >= 16 && iequals(ct.substr(0, 16), "application/grpc");
}

void set_grpc_fields(Entry& e, std::string_view path, const GrpcSide& request,
                     const GrpcSide& response, const HeaderList& status_headers, size_t max_body,
                     const ProtoSchema* schema) {
  e.protocol = "grpc";
  // "/package.Service/Method"
  std::string_view p = path.substr(0, path.find('?'));
  if (!p.empty() && p[0] == '/') p.remove_prefix(1);
  size_t slash = p.rfind('/');
  std::string_view service =
      slash == std::string_view::npos ? std::string_view() : p.substr(0, slash);
  std::string_view rpc = slash == std::string_view::npos ? p : p.substr(slash + 1);
  e.request.set("service", service);
  e.request.set("rpc", rpc);
  set_messages(e.request, request, max_body, {schema, service, rpc, true});
  if (!e.response) return;
  for (const auto& [name, value] : status_headers) {
    if (name == "grpc-status") {
      int code = 0;
      bool digits = !value.empty() && value.size() < 6;
      for (char c : value) digits = digits && c >= '0' && c <= '9';
      for (char c : value) code = digits ? code * 10 + (c - '0') : 0;
      if (digits) e.response->set("grpcStatus", code);
    } else if (name == "grpc-message") {
      e.response->set("grpcMessage", percent_decode(value));
    }
  }
  set_messages(*e.response, response, max_body, {schema, service, rpc, false});
}

}  // namespace trawl
