#include "sinks/sinks.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "base/wait_writable.h"

namespace trawl {

void FileOutput::flush() {
  std::fflush(file_);
  const char* at = buffer_.data();
  size_t left = failed() ? 0 : buffer_.size();
  while (left > 0) {
    ssize_t n = ::write(fileno(file_), at, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      wait_writable(fileno(file_));
      continue;
    }
    if (n <= 0) {
      error_ = n < 0 ? std::strerror(errno) : "nothing written";
      break;
    }
    at += n;
    left -= size_t(n);
  }
  buffer_.clear();
}

void JsonlSink::emit(Entry&& e) {
  write_entry_json(out_.buffer(), e);
  out_.buffer() += '\n';
  out_.maybe_flush();
}

void CountingSink::emit(Entry&& e) {
  buffer_.clear();
  write_entry_json(buffer_, e);
  bytes_ += buffer_.size() + 1;
  ++entries_;
}

namespace {

std::string field(const Json& obj, std::string_view key) {
  const Json* v = obj.find(key);
  if (!v || v->is_null()) return {};
  if (v->is_string()) return v->str();
  return v->dump();
}

std::string endpoint(const EntryEndpoint& ep) {
  bool v6 = ep.ip.find(':') != std::string::npos;
  std::string host = v6 ? "[" + ep.ip + "]" : ep.ip;
  return ep.port ? host + ":" + std::to_string(ep.port) : host;
}

}  // namespace

std::string entry_status(const Entry& e) {
  if (!e.error.empty() && !e.response) return e.error;
  if (!e.response) return "-";
  const Json& r = *e.response;
  if (e.protocol == "http" || e.protocol == "http2" || e.protocol == "graphql")
    return field(r, "status");
  if (e.protocol == "ldap") return field(r, "resultCodeName");
  if (e.protocol == "amqp") return field(r, "method");
  if (e.protocol == "redis") {
    std::string v = field(r, "value");
    return field(r, "type") + (v.size() <= 24 ? " " + v : " " + v.substr(0, 21) + "...");
  }
  if (e.protocol == "grpc") {
    std::string g = field(r, "grpcStatus");
    return field(r, "status") + (g.empty() ? "" : " grpc " + g);
  }
  if (e.protocol == "dns") return field(r, "rcodeName");
  if (e.protocol == "tls") return field(r, "version") + " " + field(r, "cipherSuite");
  if (e.protocol == "icmp") return field(r, "typeName");
  if (e.protocol == "tcp") return field(e.request, "state");
  return "-";
}

TableSink::TableSink(std::FILE* f) : out_(f) {
  char header[160];
  std::snprintf(header, sizeof header, "%-23s %-5s %-47s %-30s %-12s %s\n", "TIME", "PROTO",
                "SOURCE -> DESTINATION", "SUMMARY", "STATUS", "LATENCY");
  out_.buffer() += header;
}

void TableSink::emit(Entry&& e) {
  expand_raw(e);
  std::time_t secs = e.timestamp_us / 1000000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char when[80];
  std::snprintf(when, sizeof when, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                int(e.timestamp_us % 1000000 / 1000));
  std::string route = endpoint(e.src) + " -> " + endpoint(e.dst);
  std::string latency;
  if (e.response && e.elapsed_ms > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f ms", e.elapsed_ms);
    latency = buf;
  }
  std::string status = entry_status(e);
  if (!e.error.empty() && e.response) status += " (" + e.error + ")";
  char line[2048];
  std::snprintf(line, sizeof line, "%s %-5s %-47s %-30s %-12s %s\n", when,
                std::string(protocol_abbr(e.protocol)).c_str(), route.c_str(),
                entry_summary(e).substr(0, 200).c_str(), status.c_str(), latency.c_str());
  out_.buffer() += line;
  out_.maybe_flush();
}

}  // namespace trawl
