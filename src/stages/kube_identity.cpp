#include "stages/kube_identity.h"

namespace trawl {

namespace {

using F = ContextField;

struct SideFields {
  F name, namespace_, kind, workload, labels, services;
};
constexpr SideFields kSrc{F::kSrcName,     F::kSrcNamespace, F::kSrcKind,
                          F::kSrcWorkload, F::kSrcLabels,    F::kSrcServices};
constexpr SideFields kDst{F::kDstName,     F::kDstNamespace, F::kDstKind,
                          F::kDstWorkload, F::kDstLabels,    F::kDstServices};

void name_side(EntryContext& c, const SideFields& f, const kube::Identity& id, uint16_t port) {
  c.set(f.name, id.name);
  if (!id.namespace_().empty()) c.set(f.namespace_, id.namespace_());
  c.set(f.kind, id.kind());
  if (!id.workload_kind().empty()) {
    Json workload = Json::object();
    workload.set("kind", id.workload_kind());
    workload.set("name", id.workload_name());
    c.set(f.workload, std::move(workload));
  }
  if (!id.labels().empty()) {
    Json labels = Json::object();
    for (const auto& [k, v] : id.labels()) labels.set(k, v);
    c.set(f.labels, std::move(labels));
  }
  if (id.has_services()) {
    Json services = Json::array();
    for (std::string& s : id.services_for(port)) services.push(std::move(s));
    c.set(f.services, std::move(services));
  }
}

class KubeIdentityStage : public EntryStage {
 public:
  explicit KubeIdentityStage(std::shared_ptr<const kube::NameHistory> h) : history_(std::move(h)) {}
  bool process(Entry& e) override {
    if (const kube::Identity* id = history_->lookup(e.src.ip, e.src.port, e.timestamp_us))
      name_side(e.context, kSrc, *id, e.src.port);
    if (const kube::Identity* id = history_->lookup(e.dst.ip, e.dst.port, e.timestamp_us))
      name_side(e.context, kDst, *id, e.dst.port);
    return true;
  }

 private:
  std::shared_ptr<const kube::NameHistory> history_;
};

}  // namespace

StageSpec kube_identity_stage(std::shared_ptr<const kube::NameHistory> history) {
  return {"identity", [history] { return std::make_unique<KubeIdentityStage>(history); }};
}

}  // namespace trawl
