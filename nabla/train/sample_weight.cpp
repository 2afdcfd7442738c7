#include "nabla/train/sample_weight.h"

#include "nabla/ops/math.h"
#include "nabla/ops/shape_ops.h"

namespace nabla {

void squeeze_or_expand_to_same_rank(Tensor& x1, Tensor& x2, bool expand_rank_1) {
  const int r1 = x1.dim(), r2 = x2.dim();
  if (r1 == r2 + 1 && x1.shape().back() == 1) {
    if (r2 == 1 && expand_rank_1) x2 = unsqueeze(x2, -1);
    else x1 = squeeze(x1, -1);
  } else if (r2 == r1 + 1 && x2.shape().back() == 1) {
    if (r1 == 1 && expand_rank_1) x1 = unsqueeze(x1, -1);
    else x2 = squeeze(x2, -1);
  }
}

WeightedValues broadcast_sample_weight(const Tensor& values0, const Tensor& sample_weight, const std::string& who) {
  Tensor v = values0;
  Tensor w = sample_weight.detach().to(v.dtype());
  squeeze_or_expand_to_same_rank(v, w);
  const Shape& vs = v.shape();
  Shape ws = w.shape();
  auto prefix = [&] {
    if (ws.size() >= vs.size() || ws.size() == 0) return false;
    for (int i = 0; i < ws.size(); ++i)
      if (ws[i] != vs[i]) return false;
    return true;
  };
  auto broadcastable = [&] {  // numpy's rule, without enlarging the values
    if (ws.size() > vs.size()) return false;
    for (int i = 0; i < ws.size(); ++i) {
      int64_t a = ws[ws.size() - 1 - i], b = vs[vs.size() - 1 - i];
      if (a != b && a != 1) return false;
    }
    return true;
  };
  if (prefix()) {
    Shape s = ws;
    while (s.size() < vs.size()) s.push_back(1);
    w = reshape(w, s);
  } else if (!broadcastable()) {
    NABLA_CHECK_SHAPE(w.numel() == v.numel(), who, ": sample_weight of shape ", sample_weight.shape().str(),
                      " cannot be broadcast to the values of shape ", values0.shape().str(),
                      " (give a scalar, one weight per sample, or one per element)");
    w = reshape(w, vs);
  }
  if (w.shape() != vs) w = w * Tensor::ones(vs, v.dtype());  // materialise the broadcast
  return {v, w};
}

}  // namespace nabla
