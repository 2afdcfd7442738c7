// Sources: tensor slices, a single element, integer ranges, user generators, file lists.
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>

#include "nabla/data/ops/nodes.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::data::detail {

// ---- from_tensor_slices ----
TensorSlicesNode::TensorSlicesNode(std::vector<Tensor> tensors) {
  NABLA_CHECK(!tensors.empty(), "from_tensor_slices: no tensors given");
  for (size_t i = 0; i < tensors.size(); ++i) {
    NABLA_CHECK_SHAPE(tensors[i].defined() && tensors[i].dim() >= 1, "from_tensor_slices: tensor ", i,
                      " must have at least one dimension");
    NABLA_CHECK_SHAPE(tensors[i].size(0) == tensors[0].size(0), "from_tensor_slices: tensor ", i, " has ",
                      tensors[i].size(0), " rows but tensor 0 has ", tensors[0].size(0));
    // Contiguous once here, so that slices and gathers are plain memory ranges; detached: pipelines carry data.
    tensors_.push_back(tensors[i].detach().contiguous());
  }
  rows_ = tensors_[0].size(0);
}

namespace {
// Shapes, dtypes and a hash (FNV-1a) of the bytes: a cache built from other data must not be trusted.
std::string tensor_fingerprint(const Tensor& t0) {
  Tensor t = t0.contiguous();
  uint64_t h = 1469598103934665603ull;
  const unsigned char* p = static_cast<const unsigned char*>(t.raw_data());
  for (size_t i = 0; i < t.nbytes(); ++i) h = (h ^ p[i]) * 1099511628211ull;
  return nabla::detail::concat(dtype_name(t.dtype()), t.shape().str(), ":", h, ";");
}
}  // namespace

std::string TensorSlicesNode::fingerprint() const {
  std::string fp = "tensor_slices(";
  for (const Tensor& t : tensors_) fp += tensor_fingerprint(t);
  return fp + ")";
}

namespace {

class SlicesIterator final : public IteratorBase {
 public:
  explicit SlicesIterator(std::shared_ptr<const TensorSlicesNode> n) : n_(std::move(n)) {}
  std::optional<Element> next() override {
    if (i_ >= n_->rows()) return std::nullopt;
    Element e;
    e.reserve(n_->tensors().size());
    for (const Tensor& t : n_->tensors()) e.push_back(select(t, 0, i_));
    ++i_;
    return e;
  }

 private:
  std::shared_ptr<const TensorSlicesNode> n_;
  int64_t i_ = 0;
};

}  // namespace

IterPtr TensorSlicesNode::make(const IterContext&, StageCounters*) const {
  return std::make_unique<SlicesIterator>(std::static_pointer_cast<const TensorSlicesNode>(shared_from_this()));
}

namespace {

// ---- from_tensors ----
class TensorsNode final : public DatasetNode {
 public:
  explicit TensorsNode(std::vector<Tensor> t) : t_(std::move(t)) {}
  std::string name() const override { return "from_tensors"; }
  int64_t cardinality() const override { return 1; }
  std::string fingerprint() const override {
    std::string fp = "from_tensors(";
    for (const Tensor& t : t_) fp += tensor_fingerprint(t);
    return fp + ")";
  }

 protected:
  IterPtr make(const IterContext&, StageCounters*) const override {
    struct It final : IteratorBase {
      Element e;
      bool done = false;
      std::optional<Element> next() override {
        if (done) return std::nullopt;
        done = true;
        return e;
      }
    };
    auto it = std::make_unique<It>();
    it->e = t_;
    return it;
  }

 private:
  std::vector<Tensor> t_;
};

// ---- range ----
class RangeNode final : public DatasetNode {
 public:
  RangeNode(int64_t a, int64_t b, int64_t s) : a_(a), b_(b), s_(s) {
    NABLA_CHECK(s != 0, "range: step must not be 0");
  }
  std::string name() const override { return nabla::detail::concat("range(", a_, ", ", b_, ", ", s_, ")"); }
  int64_t cardinality() const override {
    if (s_ > 0) return b_ > a_ ? (b_ - a_ + s_ - 1) / s_ : 0;
    return a_ > b_ ? (a_ - b_ - s_ - 1) / -s_ : 0;
  }
  std::string fingerprint() const override { return name(); }

 protected:
  IterPtr make(const IterContext&, StageCounters*) const override {
    struct It final : IteratorBase {
      int64_t v, b, s;
      std::optional<Element> next() override {
        if (s > 0 ? v >= b : v <= b) return std::nullopt;
        Element e{Tensor::scalar(double(v), i64)};
        e[0].data<int64_t>()[0] = v;  // exact beyond 2^53
        v += s;
        return e;
      }
    };
    auto it = std::make_unique<It>();
    it->v = a_, it->b = b_, it->s = s_;
    return it;
  }

 private:
  int64_t a_, b_, s_;
};

// ---- from_generator ----
class GeneratorNode final : public DatasetNode {
 public:
  using Gen = std::function<std::optional<Element>()>;
  GeneratorNode(std::function<Gen()> make, int64_t card) : make_(std::move(make)), card_(card) {}
  std::string name() const override { return "from_generator"; }
  int64_t cardinality() const override { return card_; }
  std::string fingerprint() const override { return "from_generator"; }

 protected:
  IterPtr make(const IterContext&, StageCounters*) const override {
    struct It final : IteratorBase {
      Gen g;
      int64_t i = 0;
      bool done = false;
      std::optional<Element> next() override {
        if (done) return std::nullopt;
        try {
          auto e = g();
          if (!e) done = true;
          else ++i;
          return e;
        } catch (...) {
          done = true;
          std::rethrow_exception(wrap_error("from_generator", i));
        }
      }
    };
    auto it = std::make_unique<It>();
    it->g = make_();
    return it;
  }

 private:
  std::function<Gen()> make_;
  int64_t card_;
};

// ---- list_files ----
class FileListNode final : public DatasetNode {
 public:
  FileListNode(std::string pattern, std::vector<std::string> files)
      : pattern_(std::move(pattern)), files_(std::move(files)) {}
  std::string name() const override { return "list_files(" + pattern_ + ")"; }
  int64_t cardinality() const override { return int64_t(files_.size()); }
  std::string fingerprint() const override {
    std::string fp = "files(";
    for (const auto& f : files_) {
      struct stat st {};
      ::stat(f.c_str(), &st);
      fp += nabla::detail::concat(f, ":", st.st_size, ":", st.st_mtime, ";");
    }
    return fp + ")";
  }

 protected:
  IterPtr make(const IterContext&, StageCounters*) const override {
    struct It final : IteratorBase {
      std::shared_ptr<const FileListNode> n;
      size_t i = 0;
      std::optional<Element> next() override {
        if (i >= n->files_.size()) return std::nullopt;
        return Element{string_tensor(n->files_[i++])};
      }
    };
    auto it = std::make_unique<It>();
    it->n = std::static_pointer_cast<const FileListNode>(shared_from_this());
    return it;
  }

 private:
  std::string pattern_;
  std::vector<std::string> files_;
};

}  // namespace

NodePtr make_tensors_node(std::vector<Tensor> tensors) {
  for (auto& t : tensors) t = t.detach();
  return std::make_shared<TensorsNode>(std::move(tensors));
}
NodePtr make_range_node(int64_t start, int64_t stop, int64_t step) {
  return std::make_shared<RangeNode>(start, stop, step);
}
NodePtr make_generator_node(std::function<std::function<std::optional<Element>()>()> make, int64_t cardinality) {
  NABLA_CHECK(bool(make), "from_generator: no callable given");
  return std::make_shared<GeneratorNode>(std::move(make), cardinality);
}
NodePtr make_list_files_node(const std::string& pattern) {
  glob_t g{};
  int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> files;
  if (rc == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  if (files.empty()) throw IOError("list_files: no files match the pattern '" + pattern + "'");
  std::sort(files.begin(), files.end());
  return std::make_shared<FileListNode>(pattern, std::move(files));
}

}  // namespace nabla::data::detail
