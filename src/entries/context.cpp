#include "entries/context.h"

#include <algorithm>
#include <array>

namespace trawl {

namespace {

#define TRAWL_CONTEXT_INFO(name, group, key, type) ContextFieldInfo{group, key, ContextType::type},
constexpr std::array kContextFields{TRAWL_CONTEXT_FIELDS(TRAWL_CONTEXT_INFO)};
#undef TRAWL_CONTEXT_INFO

static_assert(kContextFields.size() == size_t(ContextField::kCount));

}  // namespace

const ContextFieldInfo& context_field_info(ContextField f) {
  return kContextFields[size_t(f)];
}

bool fits_context_type(ContextType type, const Json& value) {
  switch (type) {
    case ContextType::kString:
      return value.is_string();
    case ContextType::kInt:
      return value.is_int();
    case ContextType::kObject:
      return value.is_object();
    case ContextType::kList:
      return value.is_array();
  }
  return false;
}

const Json* EntryContext::get(ContextField f) const {
  for (const Field& field : fields_)
    if (field.first == f) return &field.second;
  return nullptr;
}

bool EntryContext::set(ContextField f, Json value) {
  auto at = std::lower_bound(fields_.begin(), fields_.end(), f,
                             [](const Field& field, ContextField g) { return field.first < g; });
  bool here = at != fields_.end() && at->first == f;
  if (value.is_null()) {
    if (here) fields_.erase(at);
    return true;
  }
  if (f >= ContextField::kCount || !fits_context_type(context_field_info(f).type, value))
    return false;
  if (here)
    at->second = std::move(value);
  else
    fields_.insert(at, Field{f, std::move(value)});
  return true;
}

}  // namespace trawl
