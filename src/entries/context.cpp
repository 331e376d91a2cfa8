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

int context_side(ContextField f) {
  std::string_view group = context_field_info(f).group;
  return group == "src" ? 0 : group == "dst" ? 1 : -1;
}

std::shared_ptr<const SharedContextFields> SharedContextFields::make(
    std::vector<std::pair<ContextField, Json>> fields) {
  if (fields.empty()) return nullptr;
  auto out = std::make_shared<SharedContextFields>();
  int side = context_side(fields.front().first);
  for (size_t i = 0; i < fields.size(); ++i) {
    const auto& [f, value] = fields[i];
    if (f >= ContextField::kCount || context_side(f) != side || side < 0 ||
        (i > 0 && !(fields[i - 1].first < f)) || value.is_null() ||
        !fits_context_type(context_field_info(f).type, value))
      return nullptr;
    out->json += ",";
    Json(context_field_info(f).key).write(out->json);
    out->json += ":";
    value.write(out->json);
  }
  out->fields = std::move(fields);
  return out;
}

size_t EntryContext::size() const {
  return fields_.size() + (shared_[0] ? shared_[0]->fields.size() : 0) +
         (shared_[1] ? shared_[1]->fields.size() : 0);
}

const Json* EntryContext::get(ContextField f) const {
  for (const Field& field : fields_)
    if (field.first == f) return &field.second;
  int side = f < ContextField::kCount ? context_side(f) : -1;
  if (side >= 0 && shared_[side])
    for (const Field& field : shared_[side]->fields)
      if (field.first == f) return &field.second;
  return nullptr;
}

EntryContext& EntryContext::operator=(const EntryContext& other) {
  fields_ = other.fields_;
  for (int side = 0; side < 2; ++side) {
    shared_[side] = other.shared_[side];
    owned_[side] = other.owned_[side];
  }
  own_shared();
  return *this;
}

EntryContext& EntryContext::operator=(EntryContext&& other) noexcept {
  fields_ = std::move(other.fields_);
  for (int side = 0; side < 2; ++side) {
    shared_[side] = std::exchange(other.shared_[side], nullptr);
    owned_[side] = std::move(other.owned_[side]);
  }
  own_shared();
  return *this;
}

// Lent fields become owned: the context is leaving the call that lent them.
void EntryContext::lend_with_own(int side, const SharedContextFields* fields) {
  if (fields && !fields_.empty()) drop_own(*fields);
  shared_[side] = fields;
  owned_[side].reset();
}

void EntryContext::own_shared() {
  for (int side = 0; side < 2; ++side)
    if (shared_[side] && !owned_[side]) owned_[side] = shared_[side]->shared_from_this();
}

void EntryContext::unshare(int side) {
  if (!shared_[side]) return;
  const SharedContextFields* block = std::exchange(shared_[side], nullptr);
  std::shared_ptr<const SharedContextFields> keep = std::move(owned_[side]);
  for (const Field& field : block->fields) set(field.first, field.second);
}

bool EntryContext::set(ContextField f, Json value) {
  if (f < ContextField::kCount)
    if (int side = context_side(f); side >= 0) unshare(side);
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

void EntryContext::drop_own(const SharedContextFields& shared) {
  std::erase_if(fields_, [&](const Field& own) {
    for (const Field& f : shared.fields)
      if (f.first == own.first) return true;
    return false;
  });
}

void EntryContext::clear() {
  fields_.clear();
  shared_[0] = shared_[1] = nullptr;
  owned_[0].reset();
  owned_[1].reset();
}

}  // namespace trawl
