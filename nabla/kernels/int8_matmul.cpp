#include "nabla/kernels/int8_matmul.h"

#include <string>
#include <unordered_map>

#include "nabla/core/error.h"
#include "nabla/kernels/dnnl_context.h"
#include "nabla/kernels/int8_primitive.h"

namespace nabla::kernels {

struct Int8Matmul::Impl {
  int64_t k, n;
  std::vector<int8_t> w;  // plain [K, N], reordered into each primitive's layout once
  std::vector<int32_t> bias;
  Int8Requant rq;
  mutable std::mutex mu;
  mutable std::unordered_map<int64_t, std::shared_ptr<Int8Primitive>> by_m;

  std::shared_ptr<Int8Primitive> make(int64_t m) const {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    using md = dnnl::memory::desc;
    auto& eng = dnnl_engine();
    md src_md({m, k}, dt::u8, tag::ab);
    md w_md({k, n}, dt::s8, tag::any);
    md b_md({1, n}, dt::s32, tag::ab);
    md dst_md({m, n}, rq.dst_f32 ? dt::f32 : dt::u8, tag::ab);
    dnnl::primitive_attr attr = int8_attr(rq, 1 << 1);
    dnnl::matmul::desc d = bias.empty() ? dnnl::matmul::desc(src_md, w_md, dst_md)
                                        : dnnl::matmul::desc(src_md, w_md, b_md, dst_md);
    dnnl::matmul::primitive_desc pd(d, attr, eng);
    auto p = std::make_shared<Int8Primitive>();
    p->prim = dnnl::matmul(pd);
    p->src_md = pd.src_desc();
    p->dst_md = pd.dst_desc();
    p->weights = reorder_weights(md({k, n}, dt::s8, tag::ab), pd.weights_desc(), w.data());
    if (!bias.empty()) p->bias = dnnl::memory(b_md, eng, const_cast<int32_t*>(bias.data()));
    p->zero_points(rq);
    return p;
  }
};

Int8Matmul::Int8Matmul(int64_t k, int64_t n, const int8_t* w, std::vector<int32_t> bias, Int8Requant rq)
    : impl_(std::make_unique<Impl>()) {
  NABLA_CHECK(k > 0 && n > 0, "Int8Matmul: bad shape [", k, ", ", n, "]");
  NABLA_CHECK(int64_t(rq.out_scales.size()) == n, "Int8Matmul: ", rq.out_scales.size(), " output scales for ", n,
              " outputs");
  NABLA_CHECK(bias.empty() || int64_t(bias.size()) == n, "Int8Matmul: bias of ", bias.size(), " for ", n,
              " outputs");
  impl_->k = k;
  impl_->n = n;
  impl_->w.assign(w, w + k * n);
  impl_->bias = std::move(bias);
  impl_->rq = std::move(rq);
  fit_weights_to_int16_pairs(impl_->w, n, impl_->bias, impl_->rq);
}
Int8Matmul::~Int8Matmul() = default;

void Int8Matmul::run(const uint8_t* src, int64_t m, void* dst) const {
  std::shared_ptr<Int8Primitive> p;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    // One primitive (and reordered weights) per batch size; a server seeing many sizes starts over rather
    // than growing without bound (calls in flight keep theirs alive).
    if (impl_->by_m.size() >= 64 && !impl_->by_m.count(m)) impl_->by_m.clear();
    auto& slot = impl_->by_m[m];
    if (!slot) {
      try {
        slot = impl_->make(m);
      } catch (const dnnl::error& e) {
        // oneDNN refuses some geometries (no implementation): a nabla error, not a crash.
        throw ValueError(std::string("Int8Matmul: oneDNN cannot create the primitive: ") + e.what());
      }
    }
    p = slot;
  }
  p->execute(src, dst);
}

}  // namespace nabla::kernels
