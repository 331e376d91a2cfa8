// Builds HTTP/2 byte streams for tests, with nghttp2's HPACK encoder.
#pragma once

#include <nghttp2/nghttp2.h>

#include <string>
#include <utility>
#include <vector>

#include "protocols/http2/http2_frame.h"

namespace trawl::testing {

inline std::string h2_frame(uint8_t type, uint8_t flags, uint32_t stream,
                            std::string_view payload) {
  std::string f;
  uint32_t len = uint32_t(payload.size());
  f += char(len >> 16);
  f += char(len >> 8);
  f += char(len);
  f += char(type);
  f += char(flags);
  f += char((stream >> 24) & 0x7F);
  f += char(stream >> 16);
  f += char(stream >> 8);
  f += char(stream);
  f += payload;
  return f;
}

// One direction's HPACK encoder.
class HpackEncoder {
 public:
  explicit HpackEncoder(size_t table_size = 4096) { nghttp2_hd_deflate_new(&d_, table_size); }
  ~HpackEncoder() { nghttp2_hd_deflate_del(d_); }
  HpackEncoder(const HpackEncoder&) = delete;

  std::string encode(const std::vector<std::pair<std::string, std::string>>& headers) {
    std::vector<nghttp2_nv> nv;
    for (const auto& [n, v] : headers)
      nv.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                    NGHTTP2_NV_FLAG_NONE});
    std::string out(nghttp2_hd_deflate_bound(d_, nv.data(), nv.size()), '\0');
    ssize_t n = nghttp2_hd_deflate_hd(d_, reinterpret_cast<uint8_t*>(out.data()), out.size(),
                                      nv.data(), nv.size());
    out.resize(n < 0 ? 0 : size_t(n));
    return out;
  }

 private:
  nghttp2_hd_deflater* d_ = nullptr;
};

inline std::string grpc_message(std::string_view protobuf, bool compressed = false) {
  std::string m;
  m += char(compressed ? 1 : 0);
  uint32_t len = uint32_t(protobuf.size());
  m += char(len >> 24);
  m += char(len >> 16);
  m += char(len >> 8);
  m += char(len);
  m += protobuf;
  return m;
}

}  // namespace trawl::testing
