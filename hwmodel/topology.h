// The a2a3 AI-core topology: clusters of one cube core (AIC) and two vector cores (AIV0, AIV1),
// numbered as the runtime numbers them (AIC 0..C-1, AIV C..3C-1, cluster ci = {ci, C+2ci, C+2ci+1}),
// and the shapes a task can need. Clusters are owned round-robin by the AICPU scheduler threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ptosim::hwmodel {

enum class CoreKind : std::uint8_t { aic = 0, aiv0 = 1, aiv1 = 2 };

// What a task needs to run: one AIC, one AIV, a whole cluster (MIX) or no core at all (DUMMY:
// completed inline by a scheduler thread).
enum class TaskShape : std::uint8_t { aic = 0, aiv = 1, mix = 2, dummy = 3 };
inline constexpr int CORE_SHAPE_COUNT = 3;  // aic, aiv, mix

std::string_view to_string(CoreKind kind);
std::string_view to_string(TaskShape shape);

class Topology {
 public:
  Topology(int clusters, int scheduler_threads);

  int clusters() const { return clusters_; }
  int scheduler_threads() const { return scheduler_threads_; }
  int core_count() const { return 3 * clusters_; }

  int core_id(int cluster, CoreKind kind) const;
  int cluster_of(int core) const;
  CoreKind kind_of(int core) const;
  int owner_thread(int cluster) const { return cluster % scheduler_threads_; }
  std::string core_name(int core) const;

 private:
  int clusters_;
  int scheduler_threads_;
};

}  // namespace ptosim::hwmodel
