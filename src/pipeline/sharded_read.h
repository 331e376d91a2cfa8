// `trawl read` on several cores: each thread reads the whole capture and
// dissects a share of its flows (FlowSharder); one writer merges their entries
// into the order a single pipeline gives (by the frame each entry completed on)
// and numbers them. Stream ids are frame numbers, so the output does not depend
// on the number of threads.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "entries/json.h"
#include "pipeline/pipeline.h"

namespace trawl {

struct ShardedReadResult {
  uint64_t entries = 0;     // written (those the filter matched)
  uint64_t bytes = 0;       // JSON Lines written (or that would be, when counting)
  Json stats;               // as Pipeline::stats(), over all threads
  std::string input_error;  // the capture ended early (damaged or cut), as PcapSource says
  std::string output_error;
  uint64_t reader_waits = 0;  // times a thread far ahead waited for the others
};

// How far threads may drift apart: memory, against waiting.
struct ShardedReadLimits {
  size_t pending_bytes = 8 << 20;  // per thread: entries not yet written
  size_t ahead_bytes = 16 << 20;   // of the capture, past the slowest thread
};

// Writes JSON Lines to `out`, or only counts them when `out` is null; with a
// KFL `filter`, only the entries it matches (redacted as it asks), numbered as
// among all entries. The filter must compile, without limit() and without
// reading `id`. Throws std::runtime_error when the capture cannot be opened.
ShardedReadResult sharded_read(const std::string& path, uint32_t threads,
                               const PipelineSettings& settings, std::FILE* out,
                               std::string_view filter = {}, const ShardedReadLimits& limits = {});

// Pipeline stats of threads that each saw every frame: capture and
// fragment counters are everyone's, the rest adds up.
Json merge_shard_stats(const std::vector<Json>& shards);

}  // namespace trawl
