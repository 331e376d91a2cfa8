// Output sinks: JSON Lines, a human table, and a counter for benchmarks.
#pragma once

#include <cstdio>
#include <string>

#include "entries/entry.h"
#include "entries/summary.h"

namespace trawl {

// Buffers output and writes it in large blocks, straight to the file's
// descriptor (after what stdio holds). A failed write (a full disk, a closed
// pipe with SIGPIPE ignored) is kept: nothing more is written, and the reader
// stops and says why instead of leaving a silently cut file.
class FileOutput {
 public:
  explicit FileOutput(std::FILE* f) : file_(f) {}
  ~FileOutput() { flush(); }
  TextBuffer& buffer() { return buffer_; }
  // A mebibyte at a time: through stdio, 128 KiB blocks took 12,000 writes
  // (three per block) for a dense read's 540 MB, and a system call is dear
  // in a VM.
  void maybe_flush() {
    if (buffer_.size() >= (1 << 20)) flush();
  }
  void flush();
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  std::FILE* file_;
  TextBuffer buffer_;
  std::string error_;
};

class JsonlSink : public EntrySink {
 public:
  explicit JsonlSink(std::FILE* f) : out_(f) {}
  void emit(Entry&& e) override;
  void flush() { out_.flush(); }
  FileOutput& output() { return out_; }

 private:
  FileOutput out_;
};

// Serialises entries as JSON but only counts the bytes (measures everything but the write).
class CountingSink : public EntrySink {
 public:
  void emit(Entry&& e) override;
  uint64_t bytes() const { return bytes_; }
  uint64_t entries() const { return entries_; }

 private:
  TextBuffer buffer_;
  uint64_t bytes_ = 0, entries_ = 0;
};

class TableSink : public EntrySink {
 public:
  explicit TableSink(std::FILE* f);
  void emit(Entry&& e) override;
  void flush() { out_.flush(); }
  FileOutput& output() { return out_; }

 private:
  FileOutput out_;
};

// One-line summary and status of an entry, as the table shows them.
std::string entry_status(const Entry& e);

}  // namespace trawl
