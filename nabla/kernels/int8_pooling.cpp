#include "nabla/kernels/int8_pooling.h"

#include <mutex>
#include <string>
#include <unordered_map>

#include "nabla/core/error.h"
#include "nabla/kernels/dnnl_context.h"
#include "nabla/kernels/int8_primitive.h"

namespace nabla::kernels {

struct Int8Pool2D::Impl {
  Int8ConvGeometry g;
  bool max = true;
  mutable std::mutex mu;
  mutable std::unordered_map<int64_t, std::shared_ptr<Int8Primitive>> by_n;

  std::shared_ptr<Int8Primitive> make(int64_t n) const {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    using md = dnnl::memory::desc;
    md src_md({n, g.c, g.h, g.w}, dt::u8, tag::nhwc);
    md dst_md({n, g.c, g.oh, g.ow}, dt::u8, tag::nhwc);
    dnnl::pooling_forward::desc d(dnnl::prop_kind::forward_inference,
                                  max ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding,
                                  src_md, dst_md, {g.sh, g.sw}, {g.kh, g.kw}, {g.pad_t, g.pad_l},
                                  {g.pad_b, g.pad_r});
    dnnl::pooling_forward::primitive_desc pd(d, dnnl_engine());
    auto p = std::make_shared<Int8Primitive>();
    p->prim = dnnl::pooling_forward(pd);
    p->src_md = pd.src_desc();
    p->dst_md = pd.dst_desc();
    return p;
  }
};

Int8Pool2D::Int8Pool2D(const Int8ConvGeometry& g, bool max) : impl_(std::make_unique<Impl>()) {
  NABLA_CHECK(g.c > 0 && g.kh > 0 && g.kw > 0 && g.oh > 0 && g.ow > 0, "Int8Pool2D: bad geometry");
  impl_->g = g;
  impl_->max = max;
}
Int8Pool2D::~Int8Pool2D() = default;

void Int8Pool2D::run(const uint8_t* src, int64_t n, uint8_t* dst) const {
  std::shared_ptr<Int8Primitive> p;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto& slot = impl_->by_n[n];
    if (!slot) {
      try {
        slot = impl_->make(n);
      } catch (const dnnl::error& e) {
        // oneDNN refuses some geometries (no implementation): a nabla error, not a crash.
        throw ValueError(std::string("Int8Pool2D: oneDNN cannot create the primitive: ") + e.what());
      }
    }
    p = slot;
  }
  p->execute(src, dst);
}

}  // namespace nabla::kernels
