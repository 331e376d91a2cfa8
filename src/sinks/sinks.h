// Output sinks: JSON Lines, a human table, and a counter for benchmarks.
#pragma once

#include <cstdio>
#include <string>

#include "entries/entry.h"
#include "entries/summary.h"

namespace trawl {

// Buffers output and writes it in large blocks.
class FileOutput {
 public:
  explicit FileOutput(std::FILE* f) : file_(f) {}
  ~FileOutput() { flush(); }
  TextBuffer& buffer() { return buffer_; }
  // Written a mebibyte at a time: at 128 KiB, stdout took 12,000 writes
  // for a dense read's 540 MB, and a system call is dear in a VM.
  void maybe_flush() {
    if (buffer_.size() >= (1 << 20)) flush();
  }
  void flush();

 private:
  std::FILE* file_;
  TextBuffer buffer_;
};

class JsonlSink : public EntrySink {
 public:
  explicit JsonlSink(std::FILE* f) : out_(f) {}
  void emit(Entry&& e) override;
  void flush() { out_.flush(); }

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

 private:
  FileOutput out_;
};

// One-line summary and status of an entry, as the table shows them.
std::string entry_status(const Entry& e);

}  // namespace trawl
