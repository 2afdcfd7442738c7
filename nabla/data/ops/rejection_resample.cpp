// rejection_resample(class_fn, target_dist, initial_dist, seed): tf.data's resampler. tf mixes two passes over
// the input (the original stream, and a filtered one) with sample_from_datasets; drawing "original or filtered"
// per output from one pass gives the same distribution, target = m * initial + (1 - m) * filtered, and reads
// the input once.
#include <algorithm>
#include <cfloat>
#include <numeric>

#include "nabla/core/random.h"
#include "nabla/data/dataset.h"
#include "nabla/data/ops/nodes.h"

namespace nabla::data {
namespace {

std::vector<double> normalised(std::vector<double> d, const char* what) {
  double s = 0;
  for (double v : d) {
    NABLA_CHECK(v >= 0, "rejection_resample: ", what, " has a negative probability ", v);
    s += v;
  }
  NABLA_CHECK(!d.empty() && s > 0, "rejection_resample: ", what, " must have a positive sum");
  for (double& v : d) v /= s;
  return d;
}

class RejectionResampleNode final : public detail::DatasetNode {
 public:
  using ClassFn = std::function<int64_t(const Element&)>;
  RejectionResampleNode(detail::NodePtr in, ClassFn f, std::vector<double> target,
                        std::optional<std::vector<double>> initial, uint64_t seed)
      : in_(std::move(in)), class_fn_(std::move(f)), target_(normalised(std::move(target), "target_dist")),
        seed_(seed) {
    NABLA_CHECK(bool(class_fn_), "rejection_resample: no class function given");
    if (initial) {
      NABLA_CHECK(initial->size() == target_.size(), "rejection_resample: initial_dist has ", initial->size(),
                  " classes, target_dist ", target_.size());
      initial_ = normalised(*initial, "initial_dist");
    }
  }
  std::string name() const override { return "rejection_resample"; }
  int64_t cardinality() const override {
    return in_->cardinality() == INFINITE_CARDINALITY ? INFINITE_CARDINALITY : UNKNOWN_CARDINALITY;
  }
  std::string fingerprint() const override {
    std::string fp = nabla::detail::concat("rejection_resample(", seed_);
    for (double t : target_) fp += nabla::detail::concat(",", t);
    for (double t : initial_) fp += nabla::detail::concat(";", t);
    return fp + ")<" + in_->fingerprint() + ">";
  }

 protected:
  detail::IterPtr make(const detail::IterContext& ctx, StageCounters*) const override {
    struct It final : detail::IteratorBase {
      detail::IterPtr in;
      std::shared_ptr<const RejectionResampleNode> node;
      Generator rng;
      std::vector<double> seen;  // running class counts (from 1 each, as tf) when initial_dist is estimated
      int64_t index = 0;
      bool done = false;

      std::vector<double> initial() const {
        if (!node->initial_.empty()) return node->initial_;
        double s = std::accumulate(seen.begin(), seen.end(), 0.0);
        std::vector<double> p(seen);
        for (double& v : p) v /= s;
        return p;
      }
      // ratio r_c = target_c / initial_c (tiny added, as tf), and its min m and max.
      void ratios(std::vector<double>& r, double& m, double& mx) const {
        auto p = initial();
        r.resize(p.size());
        for (size_t c = 0; c < p.size(); ++c) r[c] = node->target_[c] / (p[c] + DBL_MIN);
        m = *std::min_element(r.begin(), r.end());
        mx = *std::max_element(r.begin(), r.end());
      }
      // The next input element and its class; nullopt at the end.
      std::optional<Element> pull(int64_t& c) {
        auto e = in->next();
        if (!e) return e;
        int64_t i = index++;
        try {
          c = node->class_fn_(*e);
        } catch (...) {
          done = true;
          std::rethrow_exception(detail::wrap_error("rejection_resample", i));
        }
        NABLA_CHECK(c >= 0 && c < int64_t(node->target_.size()), "rejection_resample: class_fn gave class ", c,
                    " for element ", i, ", outside target_dist's ", node->target_.size(), " classes");
        if (node->initial_.empty()) seen[size_t(c)] += 1;
        return e;
      }
      static Element with_class(Element e, int64_t c) {
        Tensor t = make_tensor(Shape{}, i64);
        *t.data<int64_t>() = c;
        e.insert(e.begin(), t);
        return e;
      }
      std::optional<Element> next() override {
        if (done) return std::nullopt;
        std::vector<double> r;
        double m, mx;
        ratios(r, m, mx);
        int64_t c = 0;
        // With probability m the element is taken as it comes (target == initial makes m 1: no rejection).
        if (mx - m <= 1e-12 * mx || rng.uniform() < m) {
          auto e = pull(c);
          if (!e) done = true;
          return e ? std::optional<Element>(with_class(std::move(*e), c)) : std::nullopt;
        }
        for (;;) {
          auto e = pull(c);
          if (!e) {
            done = true;
            return std::nullopt;
          }
          ratios(r, m, mx);  // the estimate just moved (when estimated)
          double accept = mx > m ? (r[size_t(c)] - m) / (mx - m) : 1.0;
          if (rng.uniform() < accept) return with_class(std::move(*e), c);
        }
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->iterate(ctx.child());
    it->node = std::static_pointer_cast<const RejectionResampleNode>(shared_from_this());
    it->rng.seed_(splitmix64(seed_ ^ splitmix64(epoch_.fetch_add(1) + 1)));  // each pass draws anew, reproducibly
    it->seen.assign(target_.size(), 1.0);
    return it;
  }

 private:
  detail::NodePtr in_;
  ClassFn class_fn_;
  std::vector<double> target_, initial_;
  uint64_t seed_;
  mutable std::atomic<uint64_t> epoch_{0};
};

}  // namespace

Dataset Dataset::rejection_resample(std::function<int64_t(const Element&)> class_fn, std::vector<double> target_dist,
                                    std::optional<std::vector<double>> initial_dist,
                                    std::optional<uint64_t> seed) const {
  return Dataset(std::make_shared<RejectionResampleNode>(node_, std::move(class_fn), std::move(target_dist),
                                                          std::move(initial_dist),
                                                          seed ? *seed : default_generator().next_u64()));
}

}  // namespace nabla::data
