// zip, concatenate, enumerate: combining streams element by element.
#include "nabla/data/ops/nodes.h"

namespace nabla::data::detail {
namespace {

class ZipNode final : public DatasetNode {
 public:
  explicit ZipNode(std::vector<NodePtr> in) : in_(std::move(in)) {
    NABLA_CHECK(!in_.empty(), "zip: no datasets given");
  }
  std::string name() const override { return nabla::detail::concat("zip(", in_.size(), ")"); }
  int64_t cardinality() const override {
    int64_t best = INFINITE_CARDINALITY;
    bool unknown = false;
    for (const auto& n : in_) {
      int64_t c = n->cardinality();
      if (c == UNKNOWN_CARDINALITY) unknown = true;
      else if (c >= 0) best = best < 0 ? c : std::min(best, c);
    }
    if (best >= 0 && !unknown) return best;
    return unknown ? UNKNOWN_CARDINALITY : best;
  }
  std::string fingerprint() const override {
    std::string fp = "zip<";
    for (const auto& n : in_) fp += n->fingerprint() + ";";
    return fp + ">";
  }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters*) const override {
    struct It final : IteratorBase {
      std::vector<IterPtr> in;
      bool done = false;
      std::optional<Element> next() override {
        if (done) return std::nullopt;
        Element out;
        for (auto& i : in) {
          auto e = i->next();
          if (!e) {
            done = true;
            return std::nullopt;
          }
          for (auto& t : *e) out.push_back(std::move(t));
        }
        return out;
      }
    };
    auto it = std::make_unique<It>();
    for (const auto& n : in_) it->in.push_back(n->iterate(ctx.child()));
    return it;
  }

 private:
  std::vector<NodePtr> in_;
};

class ConcatenateNode final : public DatasetNode {
 public:
  ConcatenateNode(NodePtr a, NodePtr b) : a_(std::move(a)), b_(std::move(b)) {}
  std::string name() const override { return "concatenate"; }
  int64_t cardinality() const override {
    int64_t x = a_->cardinality(), y = b_->cardinality();
    if (x == INFINITE_CARDINALITY || y == INFINITE_CARDINALITY) return INFINITE_CARDINALITY;
    if (x < 0 || y < 0) return UNKNOWN_CARDINALITY;
    return x + y;
  }
  std::string fingerprint() const override {
    return "concatenate<" + a_->fingerprint() + ";" + b_->fingerprint() + ">";
  }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters*) const override {
    struct It final : IteratorBase {
      std::shared_ptr<const ConcatenateNode> node;
      IterContext ctx;
      IterPtr cur;
      int part = 0;
      std::optional<Element> next() override {
        while (part < 2) {
          if (!cur) cur = (part == 0 ? node->a_ : node->b_)->iterate(ctx);
          auto e = cur->next();
          if (e) return e;
          cur.reset();
          ++part;
        }
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    it->node = std::static_pointer_cast<const ConcatenateNode>(shared_from_this());
    it->ctx = ctx.child();
    return it;
  }

 private:
  NodePtr a_, b_;
};

class EnumerateNode final : public DatasetNode {
 public:
  EnumerateNode(NodePtr in, int64_t start) : in_(std::move(in)), start_(start) {}
  std::string name() const override { return "enumerate"; }
  int64_t cardinality() const override { return in_->cardinality(); }
  std::string fingerprint() const override { return nabla::detail::concat("enumerate(", start_, ")<", in_->fingerprint(), ">"); }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters*) const override {
    struct It final : IteratorBase {
      IterPtr in;
      int64_t i = 0;
      std::optional<Element> next() override {
        auto e = in->next();
        if (!e) return std::nullopt;
        Tensor idx = make_tensor(Shape{}, i64);
        idx.data<int64_t>()[0] = i++;
        e->insert(e->begin(), idx);
        return e;
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->iterate(ctx.child());
    it->i = start_;
    return it;
  }

 private:
  NodePtr in_;
  int64_t start_;
};

}  // namespace

NodePtr make_zip_node(std::vector<NodePtr> inputs) { return std::make_shared<ZipNode>(std::move(inputs)); }
NodePtr make_concatenate_node(NodePtr a, NodePtr b) {
  return std::make_shared<ConcatenateNode>(std::move(a), std::move(b));
}
NodePtr make_enumerate_node(NodePtr input, int64_t start) {
  return std::make_shared<EnumerateNode>(std::move(input), start);
}

}  // namespace nabla::data::detail
