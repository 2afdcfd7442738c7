// unbatch() and rebatch(n): re-cutting along axis 0. Rows stay views of the incoming batches; rebatch copies
// only when an output batch spans two incoming ones.
#include "nabla/data/ops/nodes.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::data::detail {
namespace {

int64_t leading_rows(const Element& e, const char* what) {
  NABLA_CHECK(!e.empty(), what, ": element has no components");
  int64_t rows = -1;
  for (size_t k = 0; k < e.size(); ++k) {
    NABLA_CHECK_SHAPE(e[k].dim() >= 1, what, ": component ", k, " is a scalar; it has no axis 0 to split");
    if (rows < 0) rows = e[k].size(0);
    NABLA_CHECK_SHAPE(e[k].size(0) == rows, what, ": components disagree on axis 0 (", rows, " vs ",
                      e[k].size(0), ")");
  }
  return rows;
}

class UnbatchNode final : public DatasetNode {
 public:
  explicit UnbatchNode(NodePtr in) : in_(std::move(in)) {}
  std::string name() const override { return "unbatch"; }
  int64_t cardinality() const override {
    int64_t c = in_->cardinality();
    return c == INFINITE_CARDINALITY ? c : c == 0 ? 0 : UNKNOWN_CARDINALITY;
  }
  std::string fingerprint() const override { return "unbatch<" + in_->fingerprint() + ">"; }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters*) const override {
    struct It final : IteratorBase {
      IterPtr in;
      Element cur;
      int64_t row = 0, rows = 0;
      std::optional<Element> next() override {
        while (row >= rows) {
          auto e = in->next();
          if (!e) return std::nullopt;
          rows = leading_rows(*e, "unbatch");
          cur = std::move(*e);
          row = 0;
        }
        Element out;
        for (const Tensor& t : cur) out.push_back(select(t, 0, row));
        ++row;
        return out;
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->iterate(ctx.child());
    return it;
  }

 private:
  NodePtr in_;
};

class RebatchNode final : public DatasetNode {
 public:
  RebatchNode(NodePtr in, int64_t n, bool drop) : in_(std::move(in)), n_(n), drop_(drop) {
    NABLA_CHECK(n > 0, "rebatch: batch size must be positive, got ", n);
  }
  std::string name() const override { return nabla::detail::concat("rebatch(", n_, ")"); }
  int64_t cardinality() const override {
    int64_t c = in_->cardinality();
    return c == INFINITE_CARDINALITY ? c : c == 0 ? 0 : UNKNOWN_CARDINALITY;
  }
  std::string fingerprint() const override { return nabla::detail::concat(name(), drop_, "<", in_->fingerprint(), ">"); }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters*) const override {
    struct It final : IteratorBase {
      IterPtr in;
      int64_t n = 0;
      bool drop = false, end = false;
      Element cur;
      int64_t row = 0, rows = 0;
      std::optional<Element> next() override {
        std::vector<Element> pieces;  // row ranges (views) making up this output batch
        int64_t have = 0;
        while (have < n) {
          if (row >= rows) {
            if (end) break;
            auto e = in->next();
            if (!e) {
              end = true;
              break;
            }
            rows = leading_rows(*e, "rebatch");
            cur = std::move(*e);
            row = 0;
            if (!pieces.empty() && cur.size() != pieces[0].size())
              NABLA_CHECK(false, "rebatch: elements have different numbers of components");
            continue;
          }
          int64_t take = std::min(n - have, rows - row);
          Element piece;
          for (const Tensor& t : cur) piece.push_back(slice(t, 0, row, row + take));
          pieces.push_back(std::move(piece));
          row += take;
          have += take;
        }
        if (have == 0 || (drop && have < n)) return std::nullopt;
        if (pieces.size() == 1) return std::move(pieces[0]);
        Element out;
        for (size_t k = 0; k < pieces[0].size(); ++k) {
          std::vector<Tensor> parts;
          for (const Element& p : pieces) parts.push_back(p[k]);
          out.push_back(concat(parts, 0));
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

}  // namespace

NodePtr make_unbatch_node(NodePtr input) { return std::make_shared<UnbatchNode>(std::move(input)); }
NodePtr make_rebatch_node(NodePtr input, int64_t n, bool drop) {
  return std::make_shared<RebatchNode>(std::move(input), n, drop);
}

}  // namespace nabla::data::detail
