// sample_from_datasets(datasets, weights, seed): a seeded weighted draw of which input gives the next element.
#include <numeric>

#include "nabla/core/random.h"
#include "nabla/data/ops/nodes.h"

namespace nabla::data::detail {
namespace {

class SampleNode final : public DatasetNode {
 public:
  SampleNode(std::vector<NodePtr> in, std::vector<double> w, uint64_t seed, bool stop)
      : in_(std::move(in)), w_(std::move(w)), seed_(seed), stop_(stop) {
    NABLA_CHECK(!in_.empty(), "sample_from_datasets: no datasets given");
    if (w_.empty()) w_.assign(in_.size(), 1.0);
    NABLA_CHECK(w_.size() == in_.size(), "sample_from_datasets: ", w_.size(), " weights for ", in_.size(),
                " datasets");
    for (double x : w_) NABLA_CHECK(x >= 0, "sample_from_datasets: weights must be non-negative, got ", x);
    NABLA_CHECK(std::accumulate(w_.begin(), w_.end(), 0.0) > 0, "sample_from_datasets: weights sum to 0");
  }
  std::string name() const override { return nabla::detail::concat("sample_from_datasets(", in_.size(), ")"); }
  int64_t cardinality() const override {
    int64_t total = 0;
    for (size_t i = 0; i < in_.size(); ++i) {
      if (w_[i] == 0) continue;
      int64_t c = in_[i]->cardinality();
      if (c == INFINITE_CARDINALITY) return INFINITE_CARDINALITY;
      if (c < 0 || stop_) return UNKNOWN_CARDINALITY;
      total += c;
    }
    return total;
  }
  std::string fingerprint() const override {
    std::string fp = nabla::detail::concat("sample(", seed_, ",", stop_);
    for (size_t i = 0; i < in_.size(); ++i) fp += nabla::detail::concat(";", w_[i], ":", in_[i]->fingerprint());
    return fp + ")";
  }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters*) const override {
    struct It final : IteratorBase {
      std::vector<IterPtr> in;
      std::vector<double> w;
      Generator rng;
      bool stop = false, done = false;
      std::optional<Element> next() override {
        while (!done) {
          double total = std::accumulate(w.begin(), w.end(), 0.0);
          if (total <= 0) break;
          double u = rng.uniform() * total;
          size_t k = 0;
          while (k + 1 < w.size() && (w[k] == 0 || u >= w[k])) {
            u -= w[k];
            ++k;
          }
          if (w[k] == 0) continue;  // rounding landed on a dropped input; draw again
          auto e = in[k]->next();
          if (e) return e;
          if (stop) break;
          w[k] = 0;
        }
        done = true;
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    for (const auto& n : in_) it->in.push_back(n->iterate(ctx.child()));
    it->w = w_;
    // Each pass draws anew, reproducibly.
    it->rng.seed_(splitmix64(seed_ ^ splitmix64(epoch_.fetch_add(1) + 1)));
    it->stop = stop_;
    return it;
  }

 private:
  std::vector<NodePtr> in_;
  std::vector<double> w_;
  uint64_t seed_;
  bool stop_;
  mutable std::atomic<uint64_t> epoch_{0};
};

}  // namespace

NodePtr make_sample_node(std::vector<NodePtr> inputs, std::vector<double> weights, uint64_t seed, bool stop) {
  return std::make_shared<SampleNode>(std::move(inputs), std::move(weights), seed, stop);
}

}  // namespace nabla::data::detail
