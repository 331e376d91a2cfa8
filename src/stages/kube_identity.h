// Kubernetes identity on both ends of every entry: src/dst name, namespace,
// kind (external outside the cluster), workload, labels and services
// (entry.md), from a name history, as the address was owned at the entry's
// time; and dns, the name an address was last resolved from.
#pragma once

#include <memory>

#include "kube/name_feed.h"
#include "stages/dns_names.h"
#include "stages/stage.h"

namespace trawl {

// Each pipeline's stage reads the feed's current book, taking a new one when
// it is published (live names from the cluster). With `dns`, the answers of
// DNS entries name their addresses (`dns`), for every pipeline.
StageSpec kube_identity_stage(std::shared_ptr<const kube::NameFeed> feed,
                              std::shared_ptr<DnsNames> dns = nullptr);

}  // namespace trawl
