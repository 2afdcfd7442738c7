// The fast path for from_tensor_slices(...)[.shuffle(n)].batch(b): the batch stage recognises the pattern and
// gathers each batch's rows straight from the source tensors by index. No per-element tensors are made; without
// a shuffle, batches are views of the source. The order is the element pipeline's exactly (same ShuffleBuffer,
// over indices).
#include <cstring>

#include "nabla/data/ops/nodes.h"
#include "nabla/data/ops/shuffle_buffer.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::data::detail {
namespace {

class FastBatchIterator final : public IteratorBase {
 public:
  FastBatchIterator(std::shared_ptr<const TensorSlicesNode> src, bool shuffled, int64_t buffer, uint64_t seed,
                    int64_t n, bool drop)
      : src_(std::move(src)), n_(n), drop_(drop) {
    if (shuffled) shuf_.emplace(buffer, seed);
  }

  std::optional<Element> next() override {
    int64_t rows = src_->rows();
    if (!shuf_) {
      int64_t b = std::min(n_, rows - pos_);
      if (b <= 0 || (drop_ && b < n_)) return std::nullopt;
      Element e;
      for (const Tensor& t : src_->tensors()) e.push_back(slice(t, 0, pos_, pos_ + b));
      pos_ += b;
      return e;
    }
    idx_.clear();
    auto pull = [&]() -> std::optional<int64_t> {
      if (pos_ >= rows) return std::nullopt;
      return pos_++;
    };
    while (int64_t(idx_.size()) < n_) {
      auto i = shuf_->next(pull);
      if (!i) break;
      idx_.push_back(*i);
    }
    if (idx_.empty() || (drop_ && int64_t(idx_.size()) < n_)) return std::nullopt;
    Element e;
    for (const Tensor& t : src_->tensors()) e.push_back(gather(t));
    return e;
  }

 private:
  Tensor gather(const Tensor& t) const {
    Shape s = t.shape();
    s[0] = int64_t(idx_.size());
    Tensor out = make_tensor(s, t.dtype());
    size_t row = t.size(0) ? t.nbytes() / size_t(t.size(0)) : 0;
    const char* from = static_cast<const char*>(t.raw_data());
    char* to = static_cast<char*>(out.raw_data());
    if (row == 0) return out;
    for (size_t k = 0; k < idx_.size(); ++k) std::memcpy(to + k * row, from + size_t(idx_[k]) * row, row);
    return out;
  }

  std::shared_ptr<const TensorSlicesNode> src_;
  std::optional<ShuffleBuffer<int64_t>> shuf_;
  std::vector<int64_t> idx_;
  int64_t n_, pos_ = 0;
  bool drop_;
};

}  // namespace

IterPtr make_fast_batch_iterator(const TensorSlicesNode& src, const ShuffleNode* shuffle, int64_t n, bool drop) {
  auto sp = std::static_pointer_cast<const TensorSlicesNode>(src.shared_from_this());
  if (!shuffle) return std::make_unique<FastBatchIterator>(sp, false, 0, 0, n, drop);
  return std::make_unique<FastBatchIterator>(sp, true, shuffle->buffer_size(), shuffle->next_epoch_seed(), n, drop);
}

}  // namespace nabla::data::detail
