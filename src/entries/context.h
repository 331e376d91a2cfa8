// The entry's context fields (entry.md "Context fields"): who sent and received
// it (Kubernetes, process), where it was captured, which trace it belongs to.
// Stages add them as they become known; an entry without any pays one empty
// vector.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "entries/json.h"

namespace trawl {

enum class ContextType : uint8_t { kString, kInt, kObject, kList };

// Declared once: X(enumerator, group, key, type). The store keeps a context
// field by its position in this list, so fields are appended, never reordered.
#define TRAWL_CONTEXT_FIELDS(X)                         \
  X(kSrcName, "src", "name", kString)                   \
  X(kSrcNamespace, "src", "namespace", kString)         \
  X(kSrcKind, "src", "kind", kString)                   \
  X(kSrcWorkload, "src", "workload", kObject)           \
  X(kSrcLabels, "src", "labels", kObject)               \
  X(kSrcServices, "src", "services", kList)             \
  X(kSrcDns, "src", "dns", kString)                     \
  X(kSrcPid, "src", "pid", kInt)                        \
  X(kSrcProcess, "src", "process", kString)             \
  X(kSrcContainer, "src", "container", kObject)         \
  X(kDstName, "dst", "name", kString)                   \
  X(kDstNamespace, "dst", "namespace", kString)         \
  X(kDstKind, "dst", "kind", kString)                   \
  X(kDstWorkload, "dst", "workload", kObject)           \
  X(kDstLabels, "dst", "labels", kObject)               \
  X(kDstServices, "dst", "services", kList)             \
  X(kDstDns, "dst", "dns", kString)                     \
  X(kDstPid, "dst", "pid", kInt)                        \
  X(kDstProcess, "dst", "process", kString)             \
  X(kDstContainer, "dst", "container", kObject)         \
  X(kNodeName, "node", "name", kString)                 \
  X(kClusterName, "cluster", "name", kString)           \
  X(kCaptureSource, "capture", "source", kString)       \
  X(kCaptureInterface, "capture", "interface", kString) \
  X(kTraceId, "trace", "traceId", kString)              \
  X(kSpanId, "trace", "spanId", kString)                \
  X(kParentSpanId, "trace", "parentSpanId", kString)    \
  X(kTraceLinkedBy, "trace", "linkedBy", kString)

#define TRAWL_CONTEXT_ENUMERATOR(name, group, key, type) name,
enum class ContextField : uint8_t { TRAWL_CONTEXT_FIELDS(TRAWL_CONTEXT_ENUMERATOR) kCount };
#undef TRAWL_CONTEXT_ENUMERATOR

struct ContextFieldInfo {
  std::string_view group;  // the object the field is in: src, dst, node, ...
  std::string_view key;
  ContextType type;
};

// The declaration of field `f` (f < kCount).
const ContextFieldInfo& context_field_info(ContextField f);
// Whether a JSON value may be stored as a field of this type.
bool fits_context_type(ContextType type, const Json& value);

// The context fields an entry has, in declaration order.
class EntryContext {
 public:
  using Field = std::pair<ContextField, Json>;

  bool empty() const { return fields_.empty(); }
  const std::vector<Field>& fields() const { return fields_; }
  const Json* get(ContextField f) const;
  // Sets the field; a null value removes it. False (and nothing set) when the
  // value does not have the field's type.
  bool set(ContextField f, Json value);
  void clear() { fields_.clear(); }

 private:
  std::vector<Field> fields_;
};

}  // namespace trawl
