// cache() and cache(path). The first pass reads its input and records it; once a pass completes, later passes
// replay the record. A pass abandoned midway records nothing: in memory its partial copy is dropped; on disk it
// writes to a temporary file that is renamed to `path` only at completion, and removed otherwise. A cache file
// carries the fingerprint of the pipeline below it (structure, parameters, a hash of in-memory data, file sizes
// and times) and a footer with the element count, so a stale or truncated file is rebuilt, never trusted.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "nabla/data/ops/nodes.h"

namespace nabla::data::detail {
namespace {

constexpr char kMagic[8] = {'N', 'B', 'L', 'C', 'A', 'C', 'H', '1'};
constexpr char kEnd[8] = {'N', 'B', 'L', 'C', 'E', 'N', 'D', '1'};

template <class T>
void put(std::ostream& os, const T& v) {
  os.write(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
bool get(std::istream& is, T& v) {
  return bool(is.read(reinterpret_cast<char*>(&v), sizeof v));
}

void write_element(std::ostream& os, const Element& e) {
  put(os, uint32_t(e.size()));
  for (const Tensor& t0 : e) {
    Tensor t = t0.contiguous();
    put(os, uint8_t(t.dtype()));
    put(os, uint8_t(t.dim()));
    for (int d = 0; d < t.dim(); ++d) put(os, t.shape()[d]);
    if (t.nbytes()) os.write(static_cast<const char*>(t.raw_data()), std::streamsize(t.nbytes()));
  }
}

bool read_element(std::istream& is, Element& e) {
  uint32_t n = 0;
  if (!get(is, n)) return false;
  e.clear();
  for (uint32_t k = 0; k < n; ++k) {
    uint8_t dt = 0, nd = 0;
    if (!get(is, dt) || !get(is, nd) || dt > uint8_t(DType::u8) || nd > Shape::kMaxDims) return false;
    Shape s;
    for (int d = 0; d < nd; ++d) {
      int64_t v = 0;
      if (!get(is, v) || v < 0) return false;
      s.push_back(v);
    }
    Tensor t = make_tensor(s, DType(dt));
    if (t.nbytes() && !is.read(static_cast<char*>(t.raw_data()), std::streamsize(t.nbytes()))) return false;
    e.push_back(t);
  }
  return true;
}

// Opens path for replay if it is a complete cache of this fingerprint; returns the element count, or -1.
int64_t open_valid(const std::string& path, const std::string& fp, std::ifstream& is) {
  is.open(path, std::ios::binary);
  if (!is) return -1;
  is.seekg(0, std::ios::end);
  int64_t size = is.tellg();
  if (size < int64_t(sizeof kMagic + 8 + 16)) return -1;
  is.seekg(size - 16);
  int64_t count = 0;
  char end[8];
  if (!get(is, count) || !is.read(end, 8) || std::memcmp(end, kEnd, 8) != 0 || count < 0) return -1;
  is.seekg(0);
  char magic[8];
  uint64_t len = 0;
  if (!is.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0 || !get(is, len) || len != fp.size()) return -1;
  std::string got(len, '\0');
  if (!is.read(got.data(), std::streamsize(len)) || got != fp) return -1;
  return count;
}

class CacheNode final : public DatasetNode {
 public:
  CacheNode(NodePtr in, std::string path) : in_(std::move(in)), path_(std::move(path)) {}
  std::string name() const override { return path_.empty() ? std::string("cache(memory)") : "cache(" + path_ + ")"; }
  int64_t cardinality() const override { return in_->cardinality(); }
  std::string fingerprint() const override { return "cache<" + in_->fingerprint() + ">"; }

 protected:
  IterPtr make(const IterContext& ctx, StageCounters* c) const override {
    auto self = std::static_pointer_cast<const CacheNode>(shared_from_this());
    if (path_.empty()) {
      std::shared_ptr<const std::vector<Element>> mem;
      {
        std::lock_guard<std::mutex> lk(mu_);
        mem = mem_;
      }
      if (mem) return replay_memory(std::move(mem), c);
      return record_memory(self, in_->iterate(ctx.child()));
    }
    std::string fp = in_->fingerprint();
    auto is = std::make_unique<std::ifstream>();
    int64_t count = open_valid(path_, fp, *is);
    if (count >= 0) return replay_file(std::move(is), count, c);
    return record_file(in_->iterate(ctx.child()), fp);
  }

 private:
  IterPtr replay_memory(std::shared_ptr<const std::vector<Element>> mem, StageCounters* c) const {
    struct It final : IteratorBase {
      std::shared_ptr<const std::vector<Element>> mem;
      size_t i = 0;
      std::optional<Element> next() override {
        if (i >= mem->size()) return std::nullopt;
        return (*mem)[i++];
      }
    };
    c->name = "cache(memory, replay)";
    auto it = std::make_unique<It>();
    it->mem = std::move(mem);
    return it;
  }

  static IterPtr record_memory(std::shared_ptr<const CacheNode> node, IterPtr in) {
    struct It final : IteratorBase {
      std::shared_ptr<const CacheNode> node;
      IterPtr in;
      std::vector<Element> rec;
      bool done = false;
      std::optional<Element> next() override {
        if (done) return std::nullopt;
        auto e = in->next();
        if (e) {
          rec.push_back(*e);
          return e;
        }
        done = true;
        std::lock_guard<std::mutex> lk(node->mu_);
        if (!node->mem_) node->mem_ = std::make_shared<const std::vector<Element>>(std::move(rec));
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    it->node = std::move(node);
    it->in = std::move(in);
    return it;
  }

  IterPtr replay_file(std::unique_ptr<std::ifstream> is, int64_t count, StageCounters* c) const {
    struct It final : IteratorBase {
      std::unique_ptr<std::ifstream> is;
      int64_t left = 0, i = 0;
      std::string path;
      std::optional<Element> next() override {
        if (left <= 0) return std::nullopt;
        Element e;
        if (!read_element(*is, e))
          throw IOError(nabla::detail::concat("cache: '", path, "' is unreadable at element ", i,
                                       " (changed while being read?)"));
        --left;
        ++i;
        return e;
      }
    };
    c->name = "cache(" + path_ + ", replay)";
    auto it = std::make_unique<It>();
    it->is = std::move(is);
    it->left = count;
    it->path = path_;
    return it;
  }

  IterPtr record_file(IterPtr in, const std::string& fp) const {
    struct It final : IteratorBase {
      IterPtr in;
      std::string path, tmp;
      std::ofstream os;
      int64_t count = 0;
      bool done = false;
      ~It() override {
        if (!done) {
          os.close();
          std::remove(tmp.c_str());
        }
      }
      std::optional<Element> next() override {
        if (done) return std::nullopt;
        auto e = in->next();
        if (e) {
          write_element(os, *e);
          ++count;
          return e;
        }
        put(os, count);
        os.write(kEnd, 8);
        os.close();
        done = true;
        if (!os) {
          std::remove(tmp.c_str());
          throw IOError("cache: failed to write '" + tmp + "'");
        }
        std::error_code ec;
        std::filesystem::rename(tmp, path, ec);
        if (ec) {
          std::remove(tmp.c_str());
          throw IOError("cache: cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
        }
        return std::nullopt;
      }
    };
    static std::atomic<uint64_t> counter{0};
    auto it = std::make_unique<It>();
    it->in = std::move(in);
    it->path = path_;
    it->tmp = nabla::detail::concat(path_, ".tmp.", ::getpid(), ".", counter.fetch_add(1));
    it->os.open(it->tmp, std::ios::binary | std::ios::trunc);
    if (!it->os) {
      it->done = true;
      throw IOError("cache: cannot create '" + it->tmp + "' (does the directory of '" + path_ + "' exist?)");
    }
    it->os.write(kMagic, 8);
    put(it->os, uint64_t(fp.size()));
    it->os.write(fp.data(), std::streamsize(fp.size()));
    return it;
  }

  NodePtr in_;
  std::string path_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const std::vector<Element>> mem_;
};

}  // namespace

NodePtr make_cache_node(NodePtr input, const std::string& path) {
  return std::make_shared<CacheNode>(std::move(input), path);
}

}  // namespace nabla::data::detail
