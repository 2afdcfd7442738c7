#pragma once
// The machinery under Dataset: a pipeline is a tree of immutable DatasetNodes; iterating builds a matching tree
// of iterators, each pulling from its inputs. Every stage's next() is counted and timed into a StatsRegistry.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "nabla/data/element.h"
#include "nabla/data/stats.h"

namespace nabla::data {
class Dataset;
}

namespace nabla::data::detail {

class IteratorBase {
 public:
  virtual ~IteratorBase() = default;
  // The next element, or nullopt at the end. After it has thrown or returned nullopt, it returns nullopt.
  virtual std::optional<Element> next() = 0;
};
using IterPtr = std::unique_ptr<IteratorBase>;

struct IterContext {
  std::shared_ptr<StatsRegistry> stats;
  int depth = 0;
  bool root = false;  // the iterator the user holds (not an input of another stage)
  IterContext child() const { return IterContext{stats, depth + 1, false}; }
};

class DatasetNode : public std::enable_shared_from_this<DatasetNode> {
 public:
  virtual ~DatasetNode() = default;
  // An instrumented iterator over one pass.
  IterPtr iterate(const IterContext& ctx) const;
  virtual std::string name() const = 0;
  virtual int64_t cardinality() const = 0;
  // Identifies what the node produces (structure, parameters, source data or files), for cache invalidation.
  virtual std::string fingerprint() const = 0;

 protected:
  // The stage's own iterator; inputs are made with ctx.child().
  virtual IterPtr make(const IterContext& ctx, StageCounters* counters) const = 0;
};
using NodePtr = std::shared_ptr<const DatasetNode>;

// How code in data/ outside the Dataset class (readers, stages that take datasets) wraps a node as a Dataset
// and reaches the node of one. Not part of the public API: Dataset befriends it.
struct DatasetAccess {
  static Dataset make(NodePtr node);
  static const NodePtr& node(const Dataset& ds);
};

}  // namespace nabla::data::detail
