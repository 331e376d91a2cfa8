// The entry's context fields (entry.md "Context fields"): who sent and received
// it (Kubernetes, process), where it was captured, which trace it belongs to.
// Stages add them as they become known; an entry without any pays one empty
// vector.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
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

// Context fields made once and shown by many entries (an address's identity):
// fields of src or of dst, in declaration order, and their JSON text as they
// are written in that object, each after a comma.
struct SharedContextFields : std::enable_shared_from_this<SharedContextFields> {
  std::vector<std::pair<ContextField, Json>> fields;
  std::string json;
  // Null when `fields` is empty, not of one side, or a value has the wrong type.
  static std::shared_ptr<const SharedContextFields> make(
      std::vector<std::pair<ContextField, Json>> fields);
};

// The context fields an entry has, in declaration order: its own, and those
// it shares with other entries (a side's identity, written as one text).
class EntryContext {
 public:
  using Field = std::pair<ContextField, Json>;

  EntryContext() = default;
  EntryContext(const EntryContext& other) { *this = other; }
  EntryContext(EntryContext&& other) noexcept { *this = std::move(other); }
  EntryContext& operator=(const EntryContext& other);
  EntryContext& operator=(EntryContext&& other) noexcept;

  bool empty() const { return fields_.empty() && !shared_[0] && !shared_[1]; }
  size_t size() const;
  // Calls f(field, value) for every field, own and shared, in declaration order.
  template <typename F>
  void for_each(F&& f) const;
  const Json* get(ContextField f) const;
  // Sets the field; a null value removes it. False (and nothing set) when the
  // value does not have the field's type. A field of shared ones makes them own.
  bool set(ContextField f, Json value);
  // Shares `fields` as src's (side 0) or dst's (side 1); own fields they also
  // hold are dropped.
  void share(int side, std::shared_ptr<const SharedContextFields> fields) {
    lend(side, fields.get());
    owned_[side] = std::move(fields);
  }
  // The same, but `fields` are lent: the caller keeps them alive until the
  // entry has passed the stages and sinks of the call that lent them (the
  // identity stage keeps what it lends until its next entry). A context moved
  // or copied takes a reference of its own, so an entry kept past that call
  // (held, queued, stored) owns what it shows. Lending saves an atomic
  // increment and decrement per side and entry (full barriers amid the
  // stores of the dissector and the writer): about 1% of a dense read.
  void lend(int side, const SharedContextFields* fields) {
    if (!fields_.empty() || owned_[side]) [[unlikely]] {
      lend_with_own(side, fields);
      return;
    }
    shared_[side] = fields;
  }
  const SharedContextFields* shared(int side) const { return shared_[side]; }
  // Own fields only, in declaration order.
  const std::vector<Field>& own() const { return fields_; }
  void clear();

 private:
  void unshare(int side);
  // Out of line: the identity stage's hit lends to an entry that has no
  // fields of its own and owns none, and its code stays small.
  void lend_with_own(int side, const SharedContextFields* fields);
  void drop_own(const SharedContextFields& shared);
  void own_shared();
  std::vector<Field> fields_;
  const SharedContextFields* shared_[2] = {nullptr, nullptr};  // lent or owned
  std::shared_ptr<const SharedContextFields> owned_[2];        // null when lent
};

// The side (0 src, 1 dst) a field belongs to, or -1.
int context_side(ContextField f);

template <typename F>
void EntryContext::for_each(F&& f) const {
  static const std::vector<Field> kNone;
  const std::vector<Field>* lists[3] = {&fields_, shared_[0] ? &shared_[0]->fields : &kNone,
                                        shared_[1] ? &shared_[1]->fields : &kNone};
  size_t at[3] = {0, 0, 0};
  while (true) {
    int next = -1;
    for (int i = 0; i < 3; ++i)
      if (at[i] < lists[i]->size() &&
          (next < 0 || (*lists[i])[at[i]].first < (*lists[next])[at[next]].first))
        next = i;
    if (next < 0) return;
    const Field& field = (*lists[next])[at[next]++];
    f(field.first, field.second);
  }
}

}  // namespace trawl
