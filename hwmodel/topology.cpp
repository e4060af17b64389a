#include "hwmodel/topology.h"

#include <stdexcept>

namespace ptosim::hwmodel {

std::string_view to_string(CoreKind kind) {
  switch (kind) {
    case CoreKind::aic: return "AIC";
    case CoreKind::aiv0: return "AIV0";
    case CoreKind::aiv1: return "AIV1";
  }
  return "?";
}

std::string_view to_string(TaskShape shape) {
  switch (shape) {
    case TaskShape::aic: return "aic";
    case TaskShape::aiv: return "aiv";
    case TaskShape::mix: return "mix";
    case TaskShape::dummy: return "dummy";
  }
  return "?";
}

Topology::Topology(int clusters, int scheduler_threads) : clusters_(clusters), scheduler_threads_(scheduler_threads) {
  if (clusters < 1 || scheduler_threads < 1) throw std::invalid_argument("topology needs >= 1 cluster and thread");
}

int Topology::core_id(int cluster, CoreKind kind) const {
  switch (kind) {
    case CoreKind::aic: return cluster;
    case CoreKind::aiv0: return clusters_ + 2 * cluster;
    case CoreKind::aiv1: return clusters_ + 2 * cluster + 1;
  }
  return -1;
}

int Topology::cluster_of(int core) const { return core < clusters_ ? core : (core - clusters_) / 2; }

CoreKind Topology::kind_of(int core) const {
  if (core < clusters_) return CoreKind::aic;
  return (core - clusters_) % 2 == 0 ? CoreKind::aiv0 : CoreKind::aiv1;
}

std::string Topology::core_name(int core) const {
  CoreKind kind = kind_of(core);
  std::string name = "c";  // built step by step: GCC 12 warns falsely on "c" + std::string
  name += std::to_string(cluster_of(core));
  name += kind == CoreKind::aic ? ".aic" : kind == CoreKind::aiv0 ? ".aiv0" : ".aiv1";
  return name;
}

}  // namespace ptosim::hwmodel
