#include "nabla/train/data_parallel.h"

#include <algorithm>
#include <memory>

#include "nabla/train/callbacks/csv_logger.h"
#include "nabla/train/callbacks/model_checkpoint.h"
#include "nabla/train/data_adapter.h"
#include "nabla/train/model.h"

namespace nabla {
namespace {
DataParallel* g_current = nullptr;
}  // namespace

DataParallelScope::DataParallelScope(DataParallel* strategy) : prev_(g_current) { g_current = strategy; }
DataParallelScope::~DataParallelScope() { g_current = prev_; }
DataParallel* current_data_parallel() { return g_current; }

namespace detail {

FitOptions replica_fit_options(const DataParallel* dp, const FitOptions& opts) {
  FitOptions o = opts;
  if (!dp || dp->is_chief()) return o;
  o.verbose = 0;
  o.callbacks.clear();
  for (const auto& cb : opts.callbacks)
    if (!std::dynamic_pointer_cast<callbacks::ModelCheckpoint>(cb) && !std::dynamic_pointer_cast<callbacks::CSVLogger>(cb))
      o.callbacks.push_back(cb);
  return o;
}

bool replicas_stop(DataParallel* dp, bool stop, bool agree) {
  if (!dp || !agree) return stop;
  std::vector<double> v{stop ? 1.0 : 0.0};
  dp->allreduce_sum(v);
  return v[0] > 0;
}

void average_values(DataParallel* dp, std::vector<std::pair<std::string, double>>& values) {
  if (!dp) return;
  std::vector<double> n{double(values.size())};  // a replica with other metrics would garble the sums
  dp->allreduce_sum(n);
  NABLA_CHECK(n[0] == double(values.size()) * dp->num_replicas(),
              "data-parallel fit: the replicas logged different metrics (did one replica get no data in an "
              "epoch? every replica needs at least one batch)");
  std::vector<double> v;
  for (const auto& kv : values) v.push_back(kv.second);
  dp->allreduce_sum(v);
  for (size_t i = 0; i < values.size(); ++i) values[i].second = v[i] / dp->num_replicas();
}

bool agree_on_batch(DataParallel* dp, bool have, Batch& b) {
  if (!dp) return have;
  if (!have) {
    b.xs.clear();
    b.ys.clear();
  }
  std::vector<double> rows_v{have ? double(rows(b.xs.at(0))) : 0.0};
  dp->allreduce_sum(rows_v);
  b.global_rows = int64_t(rows_v[0]);
  return b.global_rows > 0;
}

double replica_weight(const DataParallel& dp, const Batch& b) {
  if (b.global_rows <= 0) return 1.0 / dp.num_replicas();
  return double(rows(b.xs.at(0))) / double(b.global_rows);
}

}  // namespace detail
}  // namespace nabla
