// batch(n, drop_remainder) and padded_batch.
#include <algorithm>

#include "nabla/data/ops/nodes.h"

namespace nabla::data::detail {
namespace {

// Collects up to n elements; false if none (or fewer than n with drop_remainder).
bool collect(IteratorBase& in, int64_t n, bool drop, std::vector<Element>& out) {
  out.clear();
  while (int64_t(out.size()) < n) {
    auto e = in.next();
    if (!e) break;
    if (!out.empty())
      NABLA_CHECK(e->size() == out[0].size(), "batch: element has ", e->size(), " components, the first had ",
                  out[0].size());
    out.push_back(std::move(*e));
  }
  return !out.empty() && !(drop && int64_t(out.size()) < n);
}

class BatchNode final : public DatasetNode {
 public:
  BatchNode(NodePtr in, int64_t n, bool drop) : in_(std::move(in)), n_(n), drop_(drop) {
    NABLA_CHECK(n > 0, "batch: batch size must be positive, got ", n);
  }
  std::string name() const override { return nabla::detail::concat("batch(", n_, drop_ ? ", drop_remainder" : "", ")"); }
  int64_t cardinality() const override {
    int64_t c = in_->cardinality();
    if (c < 0) return c;
    return drop_ ? c / n_ : (c + n_ - 1) / n_;
  }
  std::string fingerprint() const override { return nabla::detail::concat(name(), "<", in_->fingerprint(), ">"); }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters* c) const override {
    // slices -> batch and slices -> shuffle -> batch gather rows directly.
    if (auto* src = dynamic_cast<const TensorSlicesNode*>(in_.get())) {
      c->name = "batch+tensor_slices (fast gather)";
      return make_fast_batch_iterator(*src, nullptr, n_, drop_);
    }
    if (auto* sh = dynamic_cast<const ShuffleNode*>(in_.get()))
      if (auto* src = dynamic_cast<const TensorSlicesNode*>(sh->input().get())) {
        c->name = nabla::detail::concat("batch+shuffle(", sh->buffer_size(), ")+tensor_slices (fast gather)");
        return make_fast_batch_iterator(*src, sh, n_, drop_);
      }
    struct It final : IteratorBase {
      IterPtr in;
      int64_t n;
      bool drop;
      std::vector<Element> buf;
      std::optional<Element> next() override {
        if (!collect(*in, n, drop, buf)) return std::nullopt;
        Element out;
        std::vector<Tensor> parts(buf.size());
        for (size_t k = 0; k < buf[0].size(); ++k) {
          for (size_t i = 0; i < buf.size(); ++i) parts[i] = buf[i][k];
          out.push_back(stack_rows(parts, "batch"));
        }
        return out;
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->iterate(ctx.child());
    it->n = n_;
    it->drop = drop_;
    return it;
  }

 private:
  NodePtr in_;
  int64_t n_;
  bool drop_;
};

class PaddedBatchNode final : public DatasetNode {
 public:
  PaddedBatchNode(NodePtr in, int64_t n, std::vector<Shape> shapes, std::vector<double> values, bool drop)
      : in_(std::move(in)), n_(n), shapes_(std::move(shapes)), values_(std::move(values)), drop_(drop) {
    NABLA_CHECK(n > 0, "padded_batch: batch size must be positive, got ", n);
  }
  std::string name() const override { return nabla::detail::concat("padded_batch(", n_, ")"); }
  int64_t cardinality() const override {
    int64_t c = in_->cardinality();
    if (c < 0) return c;
    return drop_ ? c / n_ : (c + n_ - 1) / n_;
  }
  std::string fingerprint() const override {
    std::string fp = name();
    for (const auto& s : shapes_) fp += s.str();
    for (double v : values_) fp += nabla::detail::concat(",", v);
    return fp + "<" + in_->fingerprint() + ">";
  }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters*) const override {
    struct It final : IteratorBase {
      std::shared_ptr<const PaddedBatchNode> node;
      IterPtr in;
      std::vector<Element> buf;
      int64_t index = 0;
      std::optional<Element> next() override {
        if (!collect(*in, node->n_, node->drop_, buf)) return std::nullopt;
        Element out;
        for (size_t k = 0; k < buf[0].size(); ++k) out.push_back(pad_component(k));
        ++index;
        return out;
      }
      Tensor pad_component(size_t k) const {
        const Tensor& t0 = buf[0][k];
        Shape target = t0.shape();
        for (const Element& e : buf) {
          NABLA_CHECK_SHAPE(e[k].dim() == t0.dim() && e[k].dtype() == t0.dtype(), "padded_batch: component ", k,
                            " has rank/dtype ", e[k].shape().str(), " ", dtype_name(e[k].dtype()), " vs ",
                            t0.shape().str(), " ", dtype_name(t0.dtype()));
          for (int d = 0; d < target.size(); ++d) target[d] = std::max(target[d], e[k].shape()[d]);
        }
        if (k < node->shapes_.size() && !node->shapes_[k].empty()) {
          const Shape& want = node->shapes_[k];
          NABLA_CHECK_SHAPE(want.size() == target.size(), "padded_batch: padded shape ", want.str(),
                            " has a different rank than component ", k, " ", target.str());
          for (int d = 0; d < target.size(); ++d) {
            if (want[d] < 0) continue;
            NABLA_CHECK_SHAPE(want[d] >= target[d], "padded_batch: component ", k, " of batch ", index,
                              " has size ", target[d], " in dimension ", d, ", larger than the padded shape ",
                              want.str());
            target[d] = want[d];
          }
        }
        Shape os = target;
        os.insert(0, int64_t(buf.size()));
        double pad = k < node->values_.size() ? node->values_[k] : 0.0;
        Tensor out = Tensor::full(os, pad, t0.dtype());
        Shape row_strides = contiguous_strides(target);
        for (size_t i = 0; i < buf.size(); ++i)
          make_view(out, buf[i][k].shape(), row_strides, int64_t(i) * target.numel()).copy_(buf[i][k]);
        return out;
      }
    };
    auto it = std::make_unique<It>();
    it->node = std::static_pointer_cast<const PaddedBatchNode>(shared_from_this());
    it->in = in_->iterate(ctx.child());
    return it;
  }

 private:
  NodePtr in_;
  int64_t n_;
  std::vector<Shape> shapes_;
  std::vector<double> values_;
  bool drop_;
};

}  // namespace

NodePtr make_batch_node(NodePtr input, int64_t n, bool drop) {
  return std::make_shared<BatchNode>(std::move(input), n, drop);
}
NodePtr make_padded_batch_node(NodePtr input, int64_t n, std::vector<Shape> shapes, std::vector<double> values,
                               bool drop) {
  return std::make_shared<PaddedBatchNode>(std::move(input), n, std::move(shapes), std::move(values), drop);
}

}  // namespace nabla::data::detail
